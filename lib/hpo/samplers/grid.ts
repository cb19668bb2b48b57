import { CategoricalChoice, Distribution, ParamValue, contains, describeDistribution, toInternal } from "../distributions";
import { FrozenTrial, isFinished } from "../frozenTrial";
import { Random } from "../../utils/random";
import { logger } from "../../utils/log";
import { Sampler, StudyView, freshSeed } from "./base";

/**
 * Tries every combination of the given values (Optuna's GridSampler). Each
 * trial takes a not-yet-visited grid point at random (so parallel workers
 * rarely collide), recorded as the trial's `grid_id` system attribute; the
 * study stops once every point is finished. A value outside the parameter's
 * distribution is used anyway, with a warning, as Optuna does.
 *
 * @example
 * const study = await createStudy({ sampler: new GridSampler({ x: [-1, 0, 1], opt: ["adam", "sgd"] }) });
 * await study.optimize((t) => t.suggestFloat("x", -1, 1) ** 2 + (t.suggestCategorical("opt", ["adam", "sgd"]) === "adam" ? 0 : 1));
 * study.trials.length; // 6
 */
export class GridSampler implements Sampler {
  private readonly space: Record<string, CategoricalChoice[]>;
  private readonly names: string[];
  private readonly grids: CategoricalChoice[][];
  private rng: Random;

  constructor(searchSpace: Record<string, readonly CategoricalChoice[]>, options: { seed?: number } = {}) {
    for (const k of Object.keys(options)) if (k !== "seed") throw new Error(`GridSampler: unknown option "${k}" (use seed)`);
    if (!searchSpace || typeof searchSpace !== "object") throw new Error("GridSampler: searchSpace must be an object of parameter name → values");
    this.names = Object.keys(searchSpace).sort();
    this.space = {};
    for (const n of this.names) {
      const values = searchSpace[n];
      if (!Array.isArray(values) || values.length === 0) throw new Error(`GridSampler: the values of "${n}" must be a non-empty array`);
      for (const v of values) if (v !== null && !["number", "string", "boolean"].includes(typeof v)) throw new Error(`GridSampler: "${n}" has a value of type ${typeof v}; use numbers, strings, booleans or null`);
      this.space[n] = [...values];
    }
    this.grids = [[]];
    for (const n of this.names) this.grids = this.grids.flatMap((g) => this.space[n].map((v) => [...g, v]));
    this.rng = new Random(options.seed ?? freshSeed());
  }

  /** Number of grid points. */
  get size(): number {
    return this.grids.length;
  }

  inferRelativeSearchSpace(): Record<string, Distribution> {
    return {};
  }

  sampleRelative(study: StudyView, trial: FrozenTrial): Record<string, ParamValue> {
    // Enqueued and retried trials carry their own parameters.
    if ("grid_id" in trial.systemAttrs || "fixed_params" in trial.systemAttrs) return {};
    let targets = this.unvisited(study);
    if (targets.length === 0) {
      logger.warn("GridSampler is re-evaluating a configuration because the grid has been exhausted (parallel workers, or a re-run of a finished study)");
      targets = this.grids.map((_, i) => i);
    }
    const gridId = targets[this.rng.int(targets.length)];
    study.setTrialSystemAttr(trial.trialId, "search_space", this.space);
    study.setTrialSystemAttr(trial.trialId, "grid_id", gridId);
    return {};
  }

  sampleIndependent(_study: StudyView, trial: FrozenTrial, name: string, distribution: Distribution): ParamValue {
    if (!("grid_id" in trial.systemAttrs)) throw new Error(`GridSampler: trial ${trial.number} was enqueued without "${name}"; an enqueued trial must fix every parameter of the grid`);
    const k = this.names.indexOf(name);
    if (k < 0) throw new Error(`GridSampler: the parameter "${name}" is not in the grid (grid has ${this.names.join(", ")})`);
    const value = this.grids[trial.systemAttrs.grid_id as number][k];
    let inside = false;
    try {
      inside = contains(distribution, toInternal(distribution, value));
    } catch {
      inside = false;
    }
    if (!inside) logger.warn(`GridSampler: the value ${JSON.stringify(value)} of "${name}" is outside ${describeDistribution(distribution)}; it is used anyway`);
    return value;
  }

  afterTrial(study: StudyView, trial: FrozenTrial): void {
    const targets = this.unvisited(study);
    if (targets.length === 0 || (targets.length === 1 && targets[0] === trial.systemAttrs.grid_id)) study.stop();
  }

  reseedRng(): void {
    this.rng = new Random(freshSeed());
  }

  private sameSpace(space: unknown): boolean {
    if (!space || typeof space !== "object") return false;
    const s = space as Record<string, unknown[]>;
    const keys = Object.keys(s).sort();
    if (keys.length !== this.names.length || keys.some((k, i) => k !== this.names[i])) return false;
    return keys.every((k) => Array.isArray(s[k]) && s[k].length === this.space[k].length && s[k].every((v, i) => v === this.space[k][i]));
  }

  /** Grid ids not finished and not running (or, when all have started, not finished). */
  private unvisited(study: StudyView): number[] {
    const finished = new Set<number>();
    const running = new Set<number>();
    for (const t of study.getTrials()) {
      if (!("grid_id" in t.systemAttrs) || !this.sameSpace(t.systemAttrs.search_space)) continue;
      const g = t.systemAttrs.grid_id as number;
      if (isFinished(t.state)) finished.add(g);
      else if (t.state === "RUNNING") running.add(g);
    }
    const free = this.grids.map((_, i) => i).filter((i) => !finished.has(i) && !running.has(i));
    return free.length ? free : this.grids.map((_, i) => i).filter((i) => !finished.has(i));
  }
}
