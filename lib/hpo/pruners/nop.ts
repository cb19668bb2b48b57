import type { Pruner } from "./base";

/**
 * Never prunes (Optuna's NopPruner).
 *
 * @example
 * const study = await createStudy({ pruner: new NopPruner() });
 */
export class NopPruner implements Pruner {
  prune(): boolean {
    return false;
  }
}
