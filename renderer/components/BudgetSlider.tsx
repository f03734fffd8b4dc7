import { useMemo } from 'react';
import type { BudgetView } from '../../core/app-api.js';
import { cost as fmtCost, lambdaRange } from '../format.js';
import { useApp } from '../store/index.js';

const STEPS = 1000;

/** A slider position ↔ value mapping. */
interface Scale {
  toValue(pos: number): number;
  toPos(value: number): number;
}

/** λ on a log scale over the breakpoints, with position 0 meaning λ = 0 (the most accurate routing). */
function lambdaScale(view: BudgetView): Scale {
  const breaks = view.regions.map((r) => r.lambdaFrom).filter((l) => l > 0);
  const lo = Math.log10(breaks.length ? Math.min(...breaks) / 3 : 1e-4);
  const hi = Math.log10(breaks.length ? Math.max(...breaks) * 3 : 1);
  return {
    toValue: (pos) => (pos <= 0 ? 0 : 10 ** (lo + ((hi - lo) * (pos - 1)) / (STEPS - 1))),
    toPos: (value) => (value <= 0 ? 0 : Math.round(1 + ((Math.log10(value) - lo) / (hi - lo || 1)) * (STEPS - 1))),
  };
}

/**
 * A cost-per-query budget between the cheapest and the dearest region's cost bound (what the
 * engine matches a budget against, so every position is a budget it can meet); log-scaled when
 * every cost is positive.
 */
function budgetScale(view: BudgetView): Scale {
  const costs = view.regions.filter((r) => r.kind === 'frontier').map((r) => r.expected.costBound);
  const min = Math.min(...costs);
  const max = Math.max(...costs);
  if (min > 0 && max > min) {
    const lo = Math.log10(min);
    const hi = Math.log10(max);
    // The ends are the bounds themselves, not 10^log10 of them: a budget a rounding error below the cheapest bound would not fit.
    return { toValue: (pos) => (pos <= 0 ? min : pos >= STEPS ? max : 10 ** (lo + ((hi - lo) * pos) / STEPS)), toPos: (v) => Math.round(((Math.log10(Math.max(v, min)) - lo) / (hi - lo)) * STEPS) };
  }
  return { toValue: (pos) => min + ((max - min) * pos) / STEPS, toPos: (v) => Math.round(((v - min) / (max - min || 1)) * STEPS) };
}

/** The budget control: one slider over λ or over a cost-per-query cap; every view reads the region it picks. */
export function BudgetSlider() {
  const view = useApp((s) => s.budget);
  const mode = useApp((s) => s.budgetMode);
  const lambda = useApp((s) => s.lambda);
  const cap = useApp((s) => s.budgetCap);
  const region = useApp((s) => s.region);
  const setMode = useApp((s) => s.setBudgetMode);
  const setLambda = useApp((s) => s.setLambda);
  const setCap = useApp((s) => s.setBudgetCap);
  const scale = useMemo(() => (view ? (mode === 'lambda' ? lambdaScale(view) : budgetScale(view)) : null), [view, mode]);
  if (!view || !scale) return null;

  const r = view.regions[region];
  const shown = mode === 'lambda' ? `λ = ${lambda === 0 ? '0' : lambda.toPrecision(3)}` : `budget ${fmtCost(cap, view.costUnit)} / query`;
  // Regions are numbered from 0 everywhere (CLI, tooltips, JSON); region 0 is the strongest model, the reference.
  const where = lambdaRange(r.lambdaFrom, r.lambdaTo);
  const valueText = `${shown}; region ${region} of 0–${view.regions.length - 1}, ${where}`;
  return (
    <div className="slider-row">
      <fieldset className="inline">
        <legend className="visually-hidden">Slider sets</legend>
        <label className="inline">
          <input type="radio" name="budget-mode" checked={mode === 'lambda'} onChange={() => setMode('lambda')} /> λ
        </label>
        <label className="inline">
          <input type="radio" name="budget-mode" checked={mode === 'budget'} onChange={() => setMode('budget')} /> Budget ({view.costUnit} / query)
        </label>
      </fieldset>
      <label htmlFor="budget-slider" className="visually-hidden">{mode === 'lambda' ? 'λ, the price of cost against error' : `Budget in ${view.costUnit} per query`}</label>
      <input
        id="budget-slider"
        data-testid="budget-slider"
        type="range"
        min={0}
        max={STEPS}
        step={1}
        value={scale.toPos(mode === 'lambda' ? lambda : cap)}
        aria-valuetext={valueText}
        onChange={(e) => {
          const value = scale.toValue(Number(e.target.value));
          if (mode === 'lambda') setLambda(value);
          else setCap(value);
        }}
      />
      <output htmlFor="budget-slider" data-testid="budget-value" data-lambda={lambda} data-budget={cap} data-region={region} aria-live="off">
        {shown} <span className="muted">· region {region} of 0–{view.regions.length - 1}, {where}</span>
      </output>
      {mode === 'budget' && (
        <p className="hint budget-note" data-testid="budget-note">
          The budget is met on <strong>train</strong>: the region served is the most accurate one whose cost bound (cross-fitted on train
          {view.current.confidence > 0 ? `, upper bound at confidence ${view.current.confidence}` : ''}) is within it — here {fmtCost(r.expected.costBound, view.costUnit)} ≤ {fmtCost(cap, view.costUnit)}.
          The cost per query in the figures is measured on the <strong>test</strong> split ({fmtCost(r.costPerQuery, view.costUnit)}), so it can lie above the budget.
        </p>
      )}
    </div>
  );
}
