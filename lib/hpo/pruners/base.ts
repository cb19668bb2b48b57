import type { FrozenTrial } from "../frozenTrial";
import type { StudyView } from "../samplers/base";

/**
 * Decides whether a running trial should stop early (Optuna's BasePruner).
 * `trial.shouldPrune()` calls `prune(study, trial)` with the trial as
 * reported so far; the study's other trials come from `study.getTrials()`.
 *
 * @example
 * const never: Pruner = { prune: () => false };
 */
export interface Pruner {
  prune(study: StudyView, trial: FrozenTrial): boolean;
}
