import type { QeView } from '../app-api.js';
import { firstQeThreshold, planModels } from '../cascade/plan.js';
import { auroc, ece, reliabilityBins } from '../qe/metrics.js';
import { cellIndex } from '../workload.js';
import { finiteOrNull, type TunedState } from './tuned-state.js';

const HISTOGRAM_BINS = 20;

/** Counts of right and wrong answers per equal-width bin of [0, 1] (a score of 1 falls in the last bin). */
export function scoreHistogram(scores: readonly number[], labels: readonly number[], bins = HISTOGRAM_BINS): QeView['models'][number]['histogram'] {
  const edges = Array.from({ length: bins + 1 }, (_, i) => i / bins);
  const correct = new Array<number>(bins).fill(0);
  const incorrect = new Array<number>(bins).fill(0);
  scores.forEach((x, i) => ((labels[i] === 1 ? correct : incorrect)[Math.min(bins - 1, Math.max(0, Math.floor(x * bins)))] += 1));
  return { edges, correct, incorrect };
}

const bothClasses = (labels: readonly number[]) => labels.includes(0) && labels.includes(1);

/** QE score distributions on the test split, per model of the cascade's ladder; null without a cascade. */
export function qeView(t: TunedState): QeView | null {
  const cascade = t.config.cascade;
  const score = t.score;
  if (!cascade || !score) return null;
  const allScores: number[] = [];
  const allLabels: number[] = [];
  const plans = t.config.regions[t.region].plans;
  const thresholdOf = (model: string) => plans.filter((p) => planModels(p)[0] === model).map(firstQeThreshold).find((x) => x !== null) ?? null;
  const models = cascade.ladder.map((model) => {
    const m = t.w.models.indexOf(model);
    const scores: number[] = [];
    const labels: number[] = [];
    for (const q of t.testRows) {
      const v = m < 0 ? -1 : t.w.correct[cellIndex(t.w, q, m)];
      if (v === -1) continue;
      scores.push(score(q, m));
      labels.push(v);
    }
    allScores.push(...scores);
    allLabels.push(...labels);
    return {
      model,
      threshold: thresholdOf(model),
      auroc: bothClasses(labels) ? finiteOrNull(auroc(scores, labels)) : null,
      ece: scores.length ? finiteOrNull(ece(scores, labels)) : null,
      histogram: scoreHistogram(scores, labels),
      reliability: reliabilityBins(scores, labels).filter((b) => b.count > 0).map((b) => ({ predicted: b.meanPredicted, observed: b.fractionRight, count: b.count })),
    };
  });
  return {
    method: `logistic regression on hashed n-grams, model/cluster and length features, ${cascade.qe.calibrator.kind} calibration`,
    auroc: bothClasses(allLabels) ? finiteOrNull(auroc(allScores, allLabels)) : null,
    ece: allScores.length ? finiteOrNull(ece(allScores, allLabels)) : null,
    models,
  };
}
