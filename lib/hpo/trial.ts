// A running trial (Optuna's Trial): what the objective asks for parameters,
// reports intermediate values to, and asks whether to stop.
import {
  CategoricalChoice,
  Distribution,
  ParamValue,
  SuggestOptions,
  categoricalDistribution,
  contains,
  describeDistribution,
  distributionsEqual,
  floatDistribution,
  intDistribution,
  isSingle,
  toInternal,
} from "./distributions";
import { FrozenTrial, cloneTrial } from "./frozenTrial";
import { logger } from "../utils/log";
import type { Study } from "./study";

/**
 * One evaluation of the objective. Define-by-run: the search space is
 * whatever the objective asks for, and each `suggest*` call both declares a
 * parameter and returns its value for this trial. Asking again for the same
 * name returns the same value; asking for it with another distribution is
 * an error. Methods are synchronous: the storage is written in the
 * background, in order, and `optimize` waits for the writes before it
 * records the result.
 *
 * @example
 * await study.optimize(async (trial) => {
 *   const lr = trial.suggestFloat("learningRate", 1e-5, 1e-3, { log: true });
 *   const layers = trial.suggestInt("layers", 1, 4);
 *   const act = trial.suggestCategorical("activation", ["gelu", "relu"]);
 *   for (let epoch = 0; epoch < 5; epoch++) {
 *     const acc = await trainOneEpoch(lr, layers, act);
 *     trial.report(acc, epoch);
 *     if (trial.shouldPrune()) throw new TrialPruned();
 *   }
 *   return acc;
 * }, { nTrials: 20 });
 */
export class Trial {
  private frozen: FrozenTrial;
  private relativeSpace: Record<string, Distribution> = {};
  private relativeParams: Record<string, ParamValue> = {};

  /** @internal Created by `Study.ask`. */
  constructor(
    private readonly study: Study,
    frozen: FrozenTrial,
  ) {
    this.frozen = frozen;
  }

  /** @internal Step 1 of the sampler's call order, once the study knows this trial. */
  initRelative(): void {
    this.relativeSpace = this.study.sampler.inferRelativeSearchSpace(this.study, this.frozen);
    this.relativeParams = this.study.sampler.sampleRelative(this.study, this.frozen, this.relativeSpace);
  }

  /** 0, 1, 2… within the study. */
  get number(): number {
    return this.frozen.number;
  }
  /** Storage-wide id. */
  get trialId(): number {
    return this.frozen.trialId;
  }
  /** Parameters suggested so far. */
  get params(): Record<string, ParamValue> {
    return { ...this.frozen.params };
  }
  get distributions(): Record<string, Distribution> {
    return { ...this.frozen.distributions };
  }
  get userAttrs(): Record<string, unknown> {
    return structuredClone(this.frozen.userAttrs);
  }
  get systemAttrs(): Record<string, unknown> {
    return structuredClone(this.frozen.systemAttrs);
  }
  get intermediateValues(): Record<number, number> {
    return { ...this.frozen.intermediateValues };
  }
  get datetimeStart(): Date | null {
    return this.frozen.datetimeStart;
  }
  /** A snapshot of this trial as recorded so far. */
  toFrozen(): FrozenTrial {
    return cloneTrial(this.frozen);
  }

  /**
   * A float in [low, high]: uniform, log-uniform with `log: true`, or on the
   * grid low, low + step, … with `step`.
   *
   * @example
   * const dropout = trial.suggestFloat("dropout", 0, 0.5, { step: 0.1 }); // 0, 0.1, … 0.5
   */
  suggestFloat(name: string, low: number, high: number, options: SuggestOptions = {}): number {
    return this.suggest(name, floatDistribution(low, high, options, name)) as number;
  }

  /**
   * An integer in [low, high] on a grid of `step`, or log-uniform with `log: true`.
   *
   * @example
   * const batch = trial.suggestInt("batchSize", 16, 128, { log: true });
   */
  suggestInt(name: string, low: number, high: number, options: SuggestOptions = {}): number {
    return this.suggest(name, intDistribution(low, high, options, name)) as number;
  }

  /**
   * One of `choices` (typed as the union of the choices).
   *
   * @example
   * const opt = trial.suggestCategorical("optimizer", ["adamw", "sgd"] as const); // "adamw" | "sgd"
   */
  suggestCategorical<T extends CategoricalChoice>(name: string, choices: readonly T[]): T {
    return this.suggest(name, categoricalDistribution(choices, name)) as T;
  }

  private suggest(name: string, distribution: Distribution): ParamValue {
    if (typeof name !== "string" || name === "") throw new Error(`A parameter name must be a non-empty string, got ${JSON.stringify(name)}`);
    const prev = this.frozen.distributions[name];
    if (prev) {
      if (!distributionsEqual(prev, distribution)) {
        throw new Error(`Trial ${this.number}: parameter "${name}" was suggested as ${describeDistribution(prev)} and is now asked for as ${describeDistribution(distribution)}; one name must keep one distribution`);
      }
      return this.frozen.params[name];
    }
    this.study.checkCompatibility(name, distribution);
    const fixed = this.frozen.systemAttrs.fixed_params as Record<string, ParamValue> | undefined;
    let value: ParamValue;
    if (fixed && name in fixed) {
      value = fixed[name];
      let internal: number;
      try {
        internal = toInternal(distribution, value);
      } catch (err) {
        throw new Error(`Trial ${this.number}: the enqueued value of "${name}" does not fit ${describeDistribution(distribution)}: ${(err as Error).message}`);
      }
      if (!contains(distribution, internal)) logger.warn(`Trial ${this.number}: the enqueued value ${JSON.stringify(value)} of "${name}" is outside ${describeDistribution(distribution)}; it is used anyway`);
    } else if (isSingle(distribution)) {
      value = distribution.type === "categorical" ? distribution.choices[0] : distribution.low;
    } else if (name in this.relativeSpace && name in this.relativeParams) {
      value = this.relativeParams[name];
    } else {
      value = this.study.sampler.sampleIndependent(this.study, this.frozen, name, distribution);
    }
    this.frozen = { ...this.frozen, params: { ...this.frozen.params, [name]: value }, distributions: { ...this.frozen.distributions, [name]: distribution } };
    const trialId = this.trialId;
    this.study.queueWrite((s) => s.setTrialParam(trialId, name, value, distribution));
    return value;
  }

  /**
   * Records an intermediate value (e.g. validation accuracy after an epoch)
   * for pruners and plots. A step already reported is ignored with a
   * warning, as Optuna does.
   *
   * @example
   * trial.report(0.81, 3);
   */
  report(value: number, step: number): void {
    if (typeof value !== "number") throw new Error(`Trial ${this.number}: report() needs a number value, got ${JSON.stringify(value)}`);
    if (!Number.isInteger(step) || step < 0) throw new Error(`Trial ${this.number}: report() needs an integer step >= 0, got ${step}`);
    if (step in this.frozen.intermediateValues) {
      logger.warn(`Trial ${this.number}: step ${step} was already reported; the value ${value} is ignored`);
      return;
    }
    this.frozen = { ...this.frozen, intermediateValues: { ...this.frozen.intermediateValues, [step]: value } };
    const trialId = this.trialId;
    this.study.queueWrite((s) => s.setTrialIntermediateValue(trialId, step, value));
    this.study.refreshSoon();
  }

  /** Whether the study's pruner would stop this trial now (after the last `report`). */
  shouldPrune(): boolean {
    return this.study.pruner.prune(this.study, this.frozen);
  }

  /**
   * Attaches a JSON value to the trial (shown in `trialsDataframe` as `user_attrs_<key>`).
   *
   * @example
   * trial.setUserAttr("accuracy", 0.87);
   */
  setUserAttr(key: string, value: unknown): void {
    checkJson(`Trial ${this.number}: setUserAttr("${key}")`, value);
    this.frozen = { ...this.frozen, userAttrs: { ...this.frozen.userAttrs, [key]: structuredClone(value) } };
    const trialId = this.trialId;
    this.study.queueWrite((s) => s.setTrialUserAttr(trialId, key, value));
  }

  /** @internal A system attribute (grid ids, pruner rungs), kept locally and written in the background. */
  setSystemAttr(key: string, value: unknown): void {
    this.frozen = { ...this.frozen, systemAttrs: { ...this.frozen.systemAttrs, [key]: structuredClone(value) } };
    const trialId = this.trialId;
    this.study.queueWrite((s) => s.setTrialSystemAttr(trialId, key, value));
  }
}

/**
 * Throws unless the value survives JSON (storages keep attributes as JSON).
 *
 * @example
 * checkJson(`Trial 0: setUserAttr("accuracy")`, { accuracy: 0.88 }); // passes
 * checkJson(`Trial 0: setUserAttr("f")`, () => 1); // throws: Trial 0: setUserAttr("f"): the value is not JSON-serialisable (function)
 */
export function checkJson(where: string, value: unknown): void {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new Error(`${where}: the value is not JSON-serialisable (${(err as Error).message})`);
  }
  if (text === undefined) throw new Error(`${where}: the value is not JSON-serialisable (${typeof value})`);
}
