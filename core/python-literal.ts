/**
 * Python literals (what `ast.literal_eval` accepts, minus complex and bytes) and Python's `==` on
 * them, for grading CRUXEval-style answers the way CRUXEval's own `assert f(x) == pred` does.
 * Hand-written because no JavaScript library parses Python literal syntax.
 */

export type PyValue =
  | { t: 'int'; v: bigint }
  | { t: 'float'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'none' }
  | { t: 'str'; v: string }
  | { t: 'list' | 'tuple' | 'set'; items: PyValue[] }
  | { t: 'dict'; entries: [PyValue, PyValue][] };

class Parser {
  i = 0;
  constructor(private readonly s: string) {}

  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  fail(): never {
    throw new SyntaxError(`not a Python literal at ${this.i}`);
  }

  value(): PyValue {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) this.fail();
    if (c === '[') return { t: 'list', items: this.seq(']') };
    if (c === '(') {
      this.i++;
      this.ws();
      if (this.s[this.i] === ')') {
        this.i++;
        return { t: 'tuple', items: [] };
      }
      const first = this.value();
      this.ws();
      const next = this.s[this.i++];
      if (next === ')') return first; // (x) is x; a one-tuple needs its comma
      if (next !== ',') this.fail();
      this.ws();
      if (this.s[this.i] === ')') {
        this.i++;
        return { t: 'tuple', items: [first] };
      }
      return { t: 'tuple', items: [first, ...this.seqTail(')')] };
    }
    if (c === '{') return this.braces();
    if (c === "'" || c === '"') return { t: 'str', v: this.strings() };
    if (/[rRuU]/.test(c) && /['"]/.test(this.s[this.i + 1] ?? '')) return { t: 'str', v: this.strings() };
    const word = /^(True|False|None)\b/.exec(this.s.slice(this.i));
    if (word) {
      this.i += word[1].length;
      return word[1] === 'None' ? { t: 'none' } : { t: 'bool', v: word[1] === 'True' };
    }
    return this.number();
  }

  number(): PyValue {
    const m = /^([+-]?)\s*(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?|\d[\d_]*\.)/.exec(this.s.slice(this.i));
    if (!m) this.fail();
    this.i += m[0].length;
    const sign = m[1] === '-' ? -1 : 1;
    const body = m[2].replace(/_/g, '');
    if (/^0[xXoObB]/.test(body) || /^\d+$/.test(body)) return { t: 'int', v: BigInt(sign) * BigInt(body) };
    return { t: 'float', v: sign * Number(body) };
  }

  /** Adjacent string literals concatenate, as in Python. */
  strings(): string {
    let out = this.string();
    for (;;) {
      const save = this.i;
      this.ws();
      const c = this.s[this.i];
      if (c === "'" || c === '"' || (/[rRuU]/.test(c ?? '') && /['"]/.test(this.s[this.i + 1] ?? ''))) out += this.string();
      else {
        this.i = save;
        return out;
      }
    }
  }

  string(): string {
    let raw = false;
    if (/[rR]/.test(this.s[this.i])) {
      raw = true;
      this.i++;
    } else if (/[uU]/.test(this.s[this.i])) this.i++;
    const q = this.s[this.i];
    const triple = this.s.startsWith(q.repeat(3), this.i);
    this.i += triple ? 3 : 1;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) this.fail();
      if (triple ? this.s.startsWith(q.repeat(3), this.i) : this.s[this.i] === q) {
        this.i += triple ? 3 : 1;
        return out;
      }
      const c = this.s[this.i++];
      if (c === '\n' && !triple) this.fail();
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.i++];
      if (raw) {
        out += `\\${e}`;
        continue;
      }
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0', '\n': '' };
      if (e in simple) out += simple[e];
      else if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = this.s.slice(this.i, this.i + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) this.fail();
        out += String.fromCodePoint(parseInt(hex, 16));
        this.i += len;
      } else out += `\\${e}`; // Python keeps unknown escapes as written
    }
  }

  seq(close: string): PyValue[] {
    this.i++;
    this.ws();
    if (this.s[this.i] === close) {
      this.i++;
      return [];
    }
    return this.seqTail(close);
  }

  seqTail(close: string): PyValue[] {
    const items: PyValue[] = [];
    for (;;) {
      items.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === close) return items;
      if (c !== ',') this.fail();
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return items;
      }
    }
  }

  braces(): PyValue {
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return { t: 'dict', entries: [] };
    }
    const first = this.value();
    this.ws();
    if (this.s[this.i] !== ':') {
      const next = this.s[this.i++];
      if (next === '}') return { t: 'set', items: [first] };
      if (next !== ',') this.fail();
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return { t: 'set', items: [first] };
      }
      return { t: 'set', items: [first, ...this.seqTail('}')] };
    }
    const entries: [PyValue, PyValue][] = [];
    let key = first;
    for (;;) {
      this.ws();
      if (this.s[this.i++] !== ':') this.fail();
      entries.push([key, this.value()]);
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return { t: 'dict', entries };
      if (c !== ',') this.fail();
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return { t: 'dict', entries };
      }
      key = this.value();
    }
  }
}

/** Parses a Python literal, or returns null when the text is not one. Like `literal_eval`, `1, 2` is a tuple. */
export function parsePythonLiteral(text: string): PyValue | null {
  const p = new Parser(text);
  try {
    const v = p.value();
    p.ws();
    if (p.i === text.length) return v;
    if (text[p.i] !== ',') return null;
    p.i++;
    p.ws();
    const items = [v];
    while (p.i < text.length) {
      items.push(p.value());
      p.ws();
      if (p.i < text.length && text[p.i++] !== ',') return null;
      p.ws();
    }
    return { t: 'tuple', items };
  } catch {
    return null;
  }
}

function numeric(v: PyValue): number | bigint | null {
  if (v.t === 'int') return v.v;
  if (v.t === 'float') return v.v;
  if (v.t === 'bool') return v.v ? 1n : 0n;
  return null;
}

/** Python's `==` on literals: 1 == 1.0 == True, dict and set order ignored, list ≠ tuple. */
export function pythonEquals(a: PyValue, b: PyValue): boolean {
  const x = numeric(a);
  const y = numeric(b);
  if (x !== null || y !== null) {
    if (x === null || y === null) return false;
    if (typeof x === 'bigint' && typeof y === 'bigint') return x === y;
    return Number(x) === Number(y);
  }
  if (a.t !== b.t) return false;
  switch (a.t) {
    case 'none':
      return true;
    case 'str':
      return a.v === (b as { v: string }).v;
    case 'list':
    case 'tuple': {
      const bi = (b as { items: PyValue[] }).items;
      return a.items.length === bi.length && a.items.every((v, i) => pythonEquals(v, bi[i]));
    }
    case 'set': {
      const bi = (b as { items: PyValue[] }).items;
      const inA = (v: PyValue) => a.items.some((w) => pythonEquals(v, w));
      return a.items.every((v) => bi.some((w) => pythonEquals(v, w))) && bi.every(inA);
    }
    case 'dict': {
      const be = (b as { entries: [PyValue, PyValue][] }).entries;
      // Later duplicate keys win, as in a Python dict display.
      const lookup = (entries: [PyValue, PyValue][], k: PyValue) => entries.findLast(([ek]) => pythonEquals(ek, k))?.[1];
      const keys = (entries: [PyValue, PyValue][]) => entries.filter(([k], i) => entries.findLastIndex(([e]) => pythonEquals(e, k)) === i);
      const ka = keys(a.entries);
      const kb = keys(be);
      return ka.length === kb.length && ka.every(([k, v]) => {
        const w = lookup(be, k);
        return w !== undefined && pythonEquals(v, w);
      });
    }
    default:
      return false;
  }
}
