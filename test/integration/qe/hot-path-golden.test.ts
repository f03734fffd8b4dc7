import { beforeAll, describe, expect, it } from 'vitest';
import { BuiltinEmbedder } from '../../../core/embed/tfidf.js';
import { extractFinalAnswer, extractJsonAnswer } from '../../../core/extract.js';
import { calibrate } from '../../../core/qe/calibration.js';
import { extractFeatures, fitFeatureSpec, type FeatureSpec, type QeInput } from '../../../core/qe/features.js';
import { LearnedQe, trainQe } from '../../../core/qe/model.js';
import { buildWorkload, type Workload } from '../../../core/workload.js';
import { loadSharedFormat } from '../../../native-models/runlog/shared-format.js';

// The serving hot path (QE features and scores, the built-in embedding, final-answer extraction)
// was rewritten to allocate almost nothing. These digests were taken with the implementation
// before that rewrite (commit b9ababa) over every recorded answer of the shared data plus a few
// hand-made texts that stress Unicode case mapping and the length cuts; a change to any feature
// slot, value, score or embedding, down to the last bit, changes a digest.
const DATA = '../shared/data/zeroeval-gsm8k-crux';

/** FNV-1a over raw bytes: order-sensitive and exact to the bit. */
class Digest {
  #h = 0x811c9dc5;
  bytes(b: Uint8Array): void {
    for (let i = 0; i < b.length; i++) this.#h = Math.imul(this.#h ^ b[i], 0x01000193);
  }
  ints(xs: Int32Array): void {
    this.bytes(new Uint8Array(xs.buffer, xs.byteOffset, xs.byteLength));
  }
  floats(xs: Float64Array | Float32Array): void {
    this.bytes(new Uint8Array(xs.buffer, xs.byteOffset, xs.byteLength));
  }
  text(s: string | null): void {
    this.bytes(new TextEncoder().encode(s === null ? '\u0000null' : `${s}\u0001`));
  }
  get hex(): string {
    return (this.#h >>> 0).toString(16).padStart(8, '0');
  }
}

/** Texts that only a careful rewrite gets right: case mapping that changes length or depends on context, surrogate pairs, cuts. */
const TRICKY = [
  'ΟΔΥΣΣΕΥΣ ΣΟΦΟΣ Σ',
  'İstanbul İİ ǅ ß ẞ ﬁ',
  'The answer is 𝐀𝐁 𝟒𝟐 and 😀 x=42? yes! $5 50% {a} [b]',
  'Naïve café — “quoted” ’42’ ½ ² ٣ 一二三',
  `${'word '.repeat(2000)}TAIL`,
  `${'ab'.repeat(3599)}Ω${'cd '.repeat(10)}`,
  `${'x'.repeat(7199)}Σ end`,
  '{"reasoning": "a\nb", "answer": [1, "two", {"k": null}]}',
  'no json {"answer": 3.50,} "answer": "7" \\boxed{\\frac{1}{2}} answer is (C)',
  '  -$1,234,567.89  ',
  '',
];

let w: Workload;
let inputs: QeInput[];
let spec: FeatureSpec;

beforeAll(async () => {
  w = buildWorkload(await loadSharedFormat(DATA));
  inputs = [];
  for (let q = 0; q < w.qids.length; q++) {
    for (let m = 0; m < w.models.length; m++) {
      const r = w.responses[q * w.models.length + m];
      if (!r) continue;
      const tokens = w.outputTokens[q * w.models.length + m];
      inputs.push({ query: w.prompts[q], response: r.response, answer: r.answer, model: w.models[m], cluster: q % 3, ...(Number.isFinite(tokens) && { outputTokens: tokens }) });
    }
  }
  for (const [i, t] of TRICKY.entries()) {
    inputs.push({ query: t, response: t, answer: t, model: w.models[i % w.models.length], cluster: i % 3 });
    inputs.push({ query: TRICKY[(i + 1) % TRICKY.length], response: t, answer: null, model: w.models[0], cluster: 0, logprobs: { mean: -0.5, min: -4, entropy: 1.2 } });
  }
  spec = fitFeatureSpec(inputs, w.models, 3, { hashBits: 14 });
}, 120_000);

describe('hot path, bit for bit as before the allocation-free rewrite', () => {
  it('QE features of every recorded answer', () => {
    const d = new Digest();
    for (const x of inputs) {
      const row = extractFeatures(spec, x);
      d.ints(row.idx);
      d.floats(row.val);
    }
    expect({ n: inputs.length, digest: d.hex }).toEqual({ n: 38164, digest: 'c0f540ac' });
  });

  it('QE scores of every recorded answer', () => {
    const qe = new LearnedQe(trainQe(
      inputs.filter((_, i) => i % 7 === 0).map((input, i) => ({ input, correct: (i % 3 === 0 ? 0 : 1) as 0 | 1 })),
      inputs.filter((_, i) => i % 7 === 1).map((input, i) => ({ input, correct: (i % 2) as 0 | 1 })),
      w.models, 3, { l2Grid: [1e-2] },
    ));
    const raw = Float64Array.from(inputs, (x) => qe.rawScore(extractFeatures(spec, x)));
    // The learned score, before the rule that an answer with no final answer scores 0 (added since).
    const learned = Float64Array.from(inputs, (x) => calibrate(qe.model.calibrator, qe.rawScore(extractFeatures(qe.model.spec, x))));
    const d = new Digest();
    d.floats(learned);
    d.floats(raw);
    expect(d.hex).toBe('7c170fe6');
    const scores = Float64Array.from(inputs, (x) => qe.score(x));
    expect(inputs.filter((x) => x.answer === null).length).toBeGreaterThan(TRICKY.length);
    inputs.forEach((x, i) => expect(scores[i]).toBe(x.answer === null ? 0 : learned[i]));
  });

  it('built-in embeddings of every query and answer', () => {
    const embedder = BuiltinEmbedder.fit(w.prompts.filter((_, i) => i % 2 === 0));
    const d = new Digest();
    for (const t of [...w.prompts, ...TRICKY]) d.floats(embedder.embedOne(t));
    for (const x of inputs.filter((_, i) => i % 5 === 0)) d.floats(embedder.embedOne(x.response));
    expect(d.hex).toBe('53be0d2b');
  });

  it('final answers of every recorded answer, for each answer kind', () => {
    const d = new Digest();
    for (const x of inputs) {
      for (const kind of ['numeric', 'choice', 'text'] as const) {
        const a = extractFinalAnswer(kind, x.response);
        d.text(a.answer);
        d.text(`${a.method}${a.found}${a.wellFormed}`);
      }
      d.text(extractJsonAnswer(x.response));
    }
    expect(d.hex).toBe('4f2c7cdf');
  });
});
