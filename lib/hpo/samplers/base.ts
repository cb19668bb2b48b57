// The Sampler interface (Optuna's BaseSampler) and the part of a study that
// samplers and pruners may see.
import type { Distribution, ParamValue } from "../distributions";
import type { FrozenTrial, StudyDirection, TrialState } from "../frozenTrial";

/**
 * What samplers and pruners see of a study: its direction and its trials as
 * of the study's last read of the storage (`getTrials` never waits).
 */
export interface StudyView {
  readonly direction: StudyDirection;
  /** Trials in number order; the records must not be changed. */
  getTrials(options?: { states?: readonly TrialState[] }): readonly FrozenTrial[];
  /** Records a system attribute on a RUNNING trial (Optuna's storage.set_trial_system_attr). */
  setTrialSystemAttr(trialId: number, key: string, value: unknown): void;
  /** Asks `optimize` to stop after the current trial. */
  stop(): void;
}

/**
 * Proposes parameter values. For each trial the study calls, in order:
 * 1. `inferRelativeSearchSpace(study, trial)` and `sampleRelative(study, trial, space)`
 *    once, when the trial starts (joint sampling of several parameters; the
 *    independent samplers here return `{}`);
 * 2. `sampleIndependent(study, trial, name, distribution)` for every parameter the
 *    objective asks for that step 1 did not fix;
 * 3. `afterTrial(study, trial, state, value)` once the objective has returned,
 *    before the result is stored.
 * Samplers read the study's trials through `study.getTrials()`; a seeded
 * sampler proposes the same values for the same history.
 *
 * @example
 * class ConstantSampler implements Sampler {
 *   inferRelativeSearchSpace() { return {}; }
 *   sampleRelative() { return {}; }
 *   sampleIndependent(_s: StudyView, _t: FrozenTrial, _n: string, d: Distribution) { return d.type === "categorical" ? d.choices[0] : d.low; }
 * }
 */
export interface Sampler {
  inferRelativeSearchSpace(study: StudyView, trial: FrozenTrial): Record<string, Distribution>;
  sampleRelative(study: StudyView, trial: FrozenTrial, searchSpace: Record<string, Distribution>): Record<string, ParamValue>;
  sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): ParamValue;
  afterTrial?(study: StudyView, trial: FrozenTrial, state: TrialState, value: number | null): void;
  /** Re-seeds from fresh entropy (Optuna's reseed_rng; used for worker processes). */
  reseedRng?(): void;
}

/**
 * A seed when none is given: fresh per sampler.
 *
 * @example
 * freshSeed(); // e.g. 1502893517: an integer in [0, 2³¹)
 * new RandomSampler({ seed: freshSeed() }); // what new RandomSampler() does
 */
export function freshSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
