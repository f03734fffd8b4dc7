// A strict reader of the Prometheus text exposition format (version 0.0.4), for checking what
// /metrics serves: every line must be a HELP, a TYPE or a sample of a declared family, and
// histograms must be cumulative and end in a +Inf bucket equal to their count.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})?\\s+(\\S+)(?:\\s+(-?\\d+))?$`);
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function parseValue(text: string, line: number): number {
  // Prometheus reads values with Go's ParseFloat: Inf and NaN in any case (prom-client writes "Nan").
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return Number.NaN;
  const v = Number(text);
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) || Number.isNaN(v)) throw new Error(`line ${line}: bad sample value "${text}"`);
  return v;
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const at = LABEL.lastIndex;
    const m = LABEL.exec(text);
    if (!m || m.index !== at) throw new Error(`line ${line}: bad label set "{${text}}"`);
    if (m[1] in labels) throw new Error(`line ${line}: label "${m[1]}" repeated`);
    labels[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    if (m[3] === '') break;
  }
  return labels;
}

/** Parses exposition text into families; throws naming the line at the first violation. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const owner = (sample: string): Family | undefined => {
    const direct = families.get(sample);
    if (direct) return direct;
    for (const suffix of ['_bucket', '_sum', '_count']) {
      if (!sample.endsWith(suffix)) continue;
      const f = families.get(sample.slice(0, -suffix.length));
      if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
    }
    return undefined;
  };
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!m) return; // a plain comment
      if (!new RegExp(`^${NAME}$`).test(m[2])) throw new Error(`line ${line}: bad metric name "${m[2]}"`);
      const f = families.get(m[2]) ?? { name: m[2], type: 'untyped' as const, help: '', samples: [] };
      if (m[1] === 'HELP') f.help = m[3];
      else {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3])) throw new Error(`line ${line}: bad type "${m[3]}"`);
        if (f.samples.length > 0) throw new Error(`line ${line}: TYPE after samples of ${m[2]}`);
        f.type = m[3] as Family['type'];
      }
      families.set(m[2], f);
      return;
    }
    const m = SAMPLE.exec(raw);
    if (!m) throw new Error(`line ${line}: not a sample: "${raw}"`);
    const f = owner(m[1]);
    if (!f) throw new Error(`line ${line}: sample "${m[1]}" has no TYPE or HELP before it`);
    f.samples.push({ name: m[1], labels: m[2] ? parseLabels(m[2], line) : {}, value: parseValue(m[3], line) });
  });
  for (const f of families.values()) {
    if (f.type === 'counter' && f.samples.some((s) => s.value < 0)) throw new Error(`${f.name}: a counter is negative`);
    if (f.type !== 'histogram') continue;
    // Group buckets by their label set without `le`; each group must be cumulative and end at +Inf = count.
    const groups = new Map<string, { le: number; v: number }[]>();
    const counts = new Map<string, number>();
    for (const s of f.samples) {
      const { le, ...rest } = s.labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      if (s.name.endsWith('_bucket')) {
        if (le === undefined) throw new Error(`${f.name}: a bucket without le`);
        (groups.get(key) ?? groups.set(key, []).get(key)!).push({ le: parseValue(le, 0), v: s.value });
      } else if (s.name.endsWith('_count')) counts.set(key, s.value);
    }
    for (const [key, buckets] of groups) {
      for (let b = 1; b < buckets.length; b++) {
        if (buckets[b].le <= buckets[b - 1].le || buckets[b].v < buckets[b - 1].v) throw new Error(`${f.name}${key}: buckets not cumulative`);
      }
      const last = buckets[buckets.length - 1];
      if (last.le !== Infinity || last.v !== counts.get(key)) throw new Error(`${f.name}${key}: the +Inf bucket does not equal the count`);
    }
  }
  return families;
}

/** The value of one sample (labels must match exactly, in any order), or 0 when absent. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(s.labels);
      if (keys.length === Object.keys(labels).length && keys.every((k) => s.labels[k] === labels[k])) return s.value;
    }
  }
  return 0;
}

/** The sum of a sample's values over every label set that contains `labels`. */
export function sampleSum(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
    }
  }
  return sum;
}
