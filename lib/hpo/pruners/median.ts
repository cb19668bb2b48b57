import type { FrozenTrial, StudyDirection } from "../frozenTrial";
import { lastStep } from "../frozenTrial";
import type { StudyView } from "../samplers/base";
import type { Pruner } from "./base";

export interface PercentilePrunerOptions {
  /** Pruning is off until this many trials are COMPLETE (default 5). */
  nStartupTrials?: number;
  /** Pruning is off until the trial reports a step >= this (default 0). */
  nWarmupSteps?: number;
  /** Check every this many steps after the warm-up (default 1). */
  intervalSteps?: number;
  /** Prune only when at least this many completed trials reported the step (default 1). */
  nMinTrials?: number;
}

const KNOWN = ["nStartupTrials", "nWarmupSteps", "intervalSteps", "nMinTrials"];

/**
 * NumPy's nanpercentile with linear interpolation.
 *
 * @example
 * nanPercentile([0.8, 0.7, NaN, 0.9], 50); // 0.8 (NaN ignored)
 * nanPercentile([1, 2, 3, 4], 25); // 1.75
 */
export function nanPercentile(values: number[], q: number): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const pos = (q / 100) * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  if (lo === hi) return v[lo];
  // NumPy's lerp form: exact at the ends, and inf-safe when both ends are equal.
  const d = pos - lo;
  return v[lo] === v[hi] ? v[lo] : v[lo] + (v[hi] - v[lo]) * d;
}

/** Whether `step` is the first reported step at or after the latest pruning checkpoint. */
function isFirstInIntervalStep(step: number, steps: number[], nWarmupSteps: number, intervalSteps: number): boolean {
  const nearestLower = Math.floor((step - nWarmupSteps) / intervalSteps) * intervalSteps + nWarmupSteps;
  let secondLast = -1;
  for (const s of steps) if (s > secondLast && s !== step) secondLast = s;
  return secondLast < nearestLower;
}

/**
 * Prunes a trial whose best intermediate value so far is worse than the
 * given percentile of the completed trials' values at the same step
 * (Optuna's PercentilePruner).
 *
 * @example
 * new PercentilePruner(25, { nStartupTrials: 5, nWarmupSteps: 3 }); // keep the top quarter
 */
export class PercentilePruner implements Pruner {
  readonly percentile: number;
  readonly nStartupTrials: number;
  readonly nWarmupSteps: number;
  readonly intervalSteps: number;
  readonly nMinTrials: number;

  constructor(percentile: number, options: PercentilePrunerOptions = {}) {
    for (const k of Object.keys(options)) if (!KNOWN.includes(k)) throw new Error(`${this.constructor.name}: unknown option "${k}" (known: ${KNOWN.join(", ")})`);
    const { nStartupTrials = 5, nWarmupSteps = 0, intervalSteps = 1, nMinTrials = 1 } = options;
    if (!(percentile >= 0 && percentile <= 100)) throw new Error(`PercentilePruner: percentile must be in [0, 100], got ${percentile}`);
    if (!Number.isInteger(nStartupTrials) || nStartupTrials < 0) throw new Error(`${this.constructor.name}: nStartupTrials must be an integer >= 0, got ${nStartupTrials}`);
    if (!Number.isInteger(nWarmupSteps) || nWarmupSteps < 0) throw new Error(`${this.constructor.name}: nWarmupSteps must be an integer >= 0, got ${nWarmupSteps}`);
    if (!Number.isInteger(intervalSteps) || intervalSteps < 1) throw new Error(`${this.constructor.name}: intervalSteps must be an integer >= 1, got ${intervalSteps}`);
    if (!Number.isInteger(nMinTrials) || nMinTrials < 1) throw new Error(`${this.constructor.name}: nMinTrials must be an integer >= 1, got ${nMinTrials}`);
    this.percentile = percentile;
    this.nStartupTrials = nStartupTrials;
    this.nWarmupSteps = nWarmupSteps;
    this.intervalSteps = intervalSteps;
    this.nMinTrials = nMinTrials;
  }

  prune(study: StudyView, trial: FrozenTrial): boolean {
    const completed = study.getTrials({ states: ["COMPLETE"] });
    if (completed.length === 0 || completed.length < this.nStartupTrials) return false;
    const step = lastStep(trial);
    if (step === undefined || step < this.nWarmupSteps) return false;
    const steps = Object.keys(trial.intermediateValues).map(Number);
    if (!isFirstInIntervalStep(step, steps, this.nWarmupSteps, this.intervalSteps)) return false;
    const best = bestIntermediate(trial, study.direction);
    if (Number.isNaN(best)) return true;
    const atStep = completed.filter((t) => step in t.intermediateValues).map((t) => t.intermediateValues[step]);
    if (atStep.length < this.nMinTrials) return false;
    const p = nanPercentile(atStep, study.direction === "maximize" ? 100 - this.percentile : this.percentile);
    if (Number.isNaN(p)) return false;
    return study.direction === "maximize" ? best < p : best > p;
  }
}

function bestIntermediate(trial: FrozenTrial, direction: StudyDirection): number {
  const v = Object.values(trial.intermediateValues).filter((x) => !Number.isNaN(x));
  if (v.length === 0) return NaN;
  return direction === "maximize" ? Math.max(...v) : Math.min(...v);
}

/**
 * Prunes a trial whose best intermediate value is worse than the median of
 * the completed trials at the same step (Optuna's MedianPruner, the default
 * pruner of `createStudy`).
 *
 * @example
 * const study = await createStudy({ direction: "maximize", pruner: new MedianPruner({ nStartupTrials: 5, nWarmupSteps: 1 }) });
 */
export class MedianPruner extends PercentilePruner {
  constructor(options: PercentilePrunerOptions = {}) {
    super(50, options);
  }
}
