import type { FrozenTrial, StudyDirection } from "../frozenTrial";
import { lastStep } from "../frozenTrial";
import type { StudyView } from "../samplers/base";
import type { Pruner } from "./base";

export interface SuccessiveHalvingOptions {
  /** Steps before the first rung, or "auto": 1/100 of the longest completed trial's last step (default "auto"). */
  minResource?: number | "auto";
  /** Keep the top 1/reductionFactor at each rung (default 4). */
  reductionFactor?: number;
  /** Shifts the rungs: the first is at minResource × reductionFactor^rate (default 0). */
  minEarlyStoppingRate?: number;
  /** A rung needs this many values before anyone is promoted past it (default 0; needs a numeric minResource). */
  bootstrapCount?: number;
}

const KNOWN = ["minResource", "reductionFactor", "minEarlyStoppingRate", "bootstrapCount"];

function rungKey(rung: number): string {
  return `completed_rung_${rung}`;
}

/**
 * Asynchronous successive halving (Optuna's SuccessiveHalvingPruner, from
 * ASHA): rung r sits at step minResource × reductionFactor^(minEarlyStoppingRate + r).
 * A trial reaching a rung records its value there (system attribute
 * `completed_rung_<r>`) and goes on only if it is in the top 1/reductionFactor
 * of the values recorded at that rung so far.
 *
 * @example
 * const study = await createStudy({ pruner: new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 3 }) });
 */
export class SuccessiveHalvingPruner implements Pruner {
  private minResource: number | null;
  readonly reductionFactor: number;
  readonly minEarlyStoppingRate: number;
  readonly bootstrapCount: number;

  constructor(options: SuccessiveHalvingOptions = {}) {
    for (const k of Object.keys(options)) if (!KNOWN.includes(k)) throw new Error(`SuccessiveHalvingPruner: unknown option "${k}" (known: ${KNOWN.join(", ")})`);
    const { minResource = "auto", reductionFactor = 4, minEarlyStoppingRate = 0, bootstrapCount = 0 } = options;
    if (minResource !== "auto" && !(Number.isInteger(minResource) && minResource >= 1)) throw new Error(`SuccessiveHalvingPruner: minResource must be an integer >= 1 or "auto", got ${JSON.stringify(minResource)}`);
    if (!Number.isInteger(reductionFactor) || reductionFactor < 2) throw new Error(`SuccessiveHalvingPruner: reductionFactor must be an integer >= 2, got ${reductionFactor}`);
    if (!Number.isInteger(minEarlyStoppingRate) || minEarlyStoppingRate < 0) throw new Error(`SuccessiveHalvingPruner: minEarlyStoppingRate must be an integer >= 0, got ${minEarlyStoppingRate}`);
    if (!Number.isInteger(bootstrapCount) || bootstrapCount < 0) throw new Error(`SuccessiveHalvingPruner: bootstrapCount must be an integer >= 0, got ${bootstrapCount}`);
    if (bootstrapCount > 0 && minResource === "auto") throw new Error('SuccessiveHalvingPruner: bootstrapCount > 0 needs a numeric minResource, not "auto"');
    this.minResource = minResource === "auto" ? null : minResource;
    this.reductionFactor = reductionFactor;
    this.minEarlyStoppingRate = minEarlyStoppingRate;
    this.bootstrapCount = bootstrapCount;
  }

  prune(study: StudyView, trial: FrozenTrial): boolean {
    const step = lastStep(trial);
    if (step === undefined) return false;
    let rung = 0;
    while (rungKey(rung) in trial.systemAttrs) rung++;
    const value = trial.intermediateValues[step];
    for (;;) {
      if (this.minResource === null) {
        const steps = study.getTrials({ states: ["COMPLETE"] }).map(lastStep).filter((s): s is number => s !== undefined);
        if (steps.length === 0) return false;
        this.minResource = Math.max(Math.floor(Math.max(...steps) / 100), 1);
      }
      const promotionStep = this.minResource * this.reductionFactor ** (this.minEarlyStoppingRate + rung);
      if (step < promotionStep) return false;
      if (Number.isNaN(value)) return true;
      study.setTrialSystemAttr(trial.trialId, rungKey(rung), value);
      const competing = study.getTrials().filter((t) => t.trialId !== trial.trialId && rungKey(rung) in t.systemAttrs).map((t) => t.systemAttrs[rungKey(rung)] as number);
      competing.push(value);
      if (competing.length <= this.bootstrapCount) return true;
      if (!promotable(value, competing, this.reductionFactor, study.direction)) return true;
      rung++;
    }
  }
}

function promotable(value: number, competing: number[], reductionFactor: number, direction: StudyDirection): boolean {
  let idx = Math.floor(competing.length / reductionFactor) - 1;
  // With fewer than reductionFactor values, only the best so far is promoted (trials cannot be paused).
  if (idx === -1) idx = 0;
  competing.sort((a, b) => a - b);
  return direction === "maximize" ? value >= competing[competing.length - 1 - idx] : value <= competing[idx];
}
