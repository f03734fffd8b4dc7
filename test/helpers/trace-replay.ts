import type { PassEvidence } from '../../core/cascade/plan.js';

/** The evidence `decide` read after a trace's pass, rebuilt from the pass (tokens aside: the tests' caps have no token cap). */
export function evidence(pass: { qeScore: number | null; agree: boolean | null }, step: number): PassEvidence {
  return { step, tokensSoFar: 0, ...(pass.qeScore !== null && { qe: pass.qeScore }), ...(pass.agree !== null && { agree: pass.agree }) };
}
