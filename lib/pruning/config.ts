// PruningConfig: gradual pruning during fine-tuning as a compression config
// (Neural Compressor's WeightPruningConfig), so it composes with
// distillation in prepareCompression([distillationConfig, pruningConfig]),
// in distill(trainer, ...) or a DistillationTrainer. Masks act through the
// model's weight transforms (forward pass and gradients), are refreshed on
// the sparsity schedule, and are made permanent when training ends.
import * as tf from "@tensorflow/tfjs-core";
import type { PreTrainedModel, WeightTransform } from "../models/modeling";
import type { CompressionConfig, CompressionHooks } from "../compression/types";
import { logger } from "../utils/log";
import { SPARSITY_DECAY_TYPES, SparsityDecayType, sparsityAtFraction } from "./schedules";
import { numToPrune, pruneSmallest, pruneSmallestGlobal } from "./masks";
import { magnitudeScores, movementTransform, sigmoid, softMovementRegularizer, softMovementRegularizerGrad } from "./scores";

/**
 * How weights are scored: "magnitude" (|W|, Zhu & Gupta), "movement"
 * (learned scores, Top-k of them) or "softMovement" (learned scores kept
 * where σ(S) > τ, with an L1 regulariser on σ(S); Sanh et al. 2020).
 */
export type PruningCriterion = "magnitude" | "movement" | "softMovement";
/** One ranking over all pruned weights ("global") or one per weight matrix ("local"). */
export type PruningScope = "global" | "local";

/**
 * The scoring criteria a PruningConfig knows.
 *
 * @example PRUNING_CRITERIA.includes("movement"); // true
 */
export const PRUNING_CRITERIA: readonly PruningCriterion[] = ["magnitude", "movement", "softMovement"];

/** Options of a PruningConfig (Neural Compressor's WeightPruningConfig fields, in TypeScript casing). */
export interface PruningConfigOptions {
  /** Default "magnitude". */
  pruningType?: PruningCriterion;
  /** s_f, the sparsity reached at `endStep` (magnitude and movement). Default 0.9. */
  targetSparsity?: number;
  /** s_i, the sparsity until `startStep`. Default 0. */
  initialSparsity?: number;
  /** t0: the first step of the schedule. Default 0. */
  startStep?: number;
  /** t0 + N·Δt: the step where the final sparsity (or threshold) is reached; masks stay fixed afterwards (magnitude). */
  endStep: number;
  /** Δt: steps between two mask updates (magnitude; the movement masks follow their scores every step). Default 10. */
  pruningFrequency?: number;
  /** The schedule's curve. Default "cubic". */
  sparsityDecayType?: SparsityDecayType;
  /** Default "global". */
  pruningScope?: PruningScope;
  /** Patterns (regular expressions) of the parameter names to prune. Default: the encoder's linear weights (query, key, value, attention output, FFN). */
  opNames?: (string | RegExp)[];
  /** Patterns of parameter names never pruned. */
  excludedOpNames?: (string | RegExp)[];
  /** Initial value of every movement score. Default 0, as the movement-pruning code's constant init. */
  scoreInit?: number;
  /**
   * Movement scores are stored as S′ with S = scoreScale · S′: Adam moves
   * S′ by about the learning rate per step whatever the gradient's size, so
   * this is the scores' learning rate relative to the weights' (the paper
   * trains scores with a 100x larger rate). Only soft movement depends on it
   * (Top-k ranks do not change with scale). Default 1; 50 for softMovement.
   */
  scoreScale?: number;
  /** Soft movement: τ at `startStep` (on σ(S)). Default 0 (nothing pruned). */
  initialThreshold?: number;
  /** Soft movement: τ from `endStep` on. Default 0.1. */
  finalThreshold?: number;
  /** Soft movement: λ of the L1 regulariser on σ(S) at `endStep` (it follows τ: λ_t = λ·τ_t/τ_f). Default 1. */
  regularizationLambda?: number;
}

/** One mask update, for logs and plots. */
export interface PruningEvent {
  step: number;
  /** The schedule's sparsity (magnitude, movement) at this step. */
  targetSparsity?: number;
  /** Soft movement's threshold τ at this step. */
  threshold?: number;
  /** The sparsity of the masks over all pruned weights. */
  sparsity: number;
}

const KEYS: readonly (keyof PruningConfigOptions)[] = ["pruningType", "targetSparsity", "initialSparsity", "startStep", "endStep", "pruningFrequency", "sparsityDecayType", "pruningScope", "opNames", "excludedOpNames", "scoreInit", "scoreScale", "initialThreshold", "finalThreshold", "regularizationLambda"];

/**
 * Gradual pruning while training (Neural Compressor's
 * `WeightPruningConfig`): scores (|W|, or movement scores trained with the
 * weights), masks `Top_k(S)` refreshed along a sparsity schedule (cubic by
 * default), global or per matrix; masked weights stay zero through the
 * optimizer's steps. Compose it with distillation.
 *
 * Choose the model at the end of training: the best-epoch reload
 * (`loadBestModelAtEnd`) would bring back an earlier, denser epoch.
 *
 * @example
 * const pConf = new PruningConfig({ pruningType: "movement", targetSparsity: 0.9, endStep: 400 });
 * await distill(trainer, [new DistillationConfig({ teacherModel: teacher }), pConf]);
 * modelSparsity(student); // 0.9 of the encoder's linear weights are zero
 */
export class PruningConfig implements CompressionConfig {
  readonly kind = "pruning";
  readonly pruningType: PruningCriterion;
  readonly targetSparsity: number;
  readonly initialSparsity: number;
  readonly startStep: number;
  readonly endStep: number;
  readonly pruningFrequency: number;
  readonly sparsityDecayType: SparsityDecayType;
  readonly pruningScope: PruningScope;
  readonly opNames?: readonly (string | RegExp)[];
  readonly excludedOpNames: readonly (string | RegExp)[];
  readonly scoreInit: number;
  readonly scoreScale: number;
  readonly initialThreshold: number;
  readonly finalThreshold: number;
  readonly regularizationLambda: number;
  /** Every mask update of the hooks this config created, in order. */
  readonly history: PruningEvent[] = [];

  constructor(options: PruningConfigOptions) {
    const where = "PruningConfig";
    if (!options || typeof options !== "object") throw new Error(`${where}: options are required (at least endStep)`);
    for (const k of Object.keys(options)) if (!KEYS.includes(k as keyof PruningConfigOptions)) throw new Error(`${where}: unknown option "${k}" (known: ${KEYS.join(", ")})`);
    this.pruningType = options.pruningType ?? "magnitude";
    if (!PRUNING_CRITERIA.includes(this.pruningType)) throw new Error(`${where}: pruningType must be one of ${PRUNING_CRITERIA.join(", ")}, got ${JSON.stringify(this.pruningType)}`);
    this.targetSparsity = options.targetSparsity ?? 0.9;
    this.initialSparsity = options.initialSparsity ?? 0;
    for (const k of ["targetSparsity", "initialSparsity"] as const) if (!(this[k] >= 0 && this[k] < 1)) throw new Error(`${where}: ${k} must be in [0, 1), got ${JSON.stringify(this[k])}`);
    this.startStep = options.startStep ?? 0;
    this.endStep = options.endStep;
    if (!(Number.isInteger(this.startStep) && this.startStep >= 0)) throw new Error(`${where}: startStep must be an integer >= 0, got ${JSON.stringify(this.startStep)}`);
    if (!(Number.isInteger(this.endStep) && this.endStep > this.startStep)) throw new Error(`${where}: endStep must be an integer above startStep (${this.startStep}), got ${JSON.stringify(this.endStep)}`);
    this.pruningFrequency = options.pruningFrequency ?? 10;
    if (!(Number.isInteger(this.pruningFrequency) && this.pruningFrequency >= 1)) throw new Error(`${where}: pruningFrequency must be a positive integer, got ${JSON.stringify(this.pruningFrequency)}`);
    this.sparsityDecayType = options.sparsityDecayType ?? "cubic";
    if (!SPARSITY_DECAY_TYPES.includes(this.sparsityDecayType)) throw new Error(`${where}: sparsityDecayType must be one of ${SPARSITY_DECAY_TYPES.join(", ")}, got ${JSON.stringify(this.sparsityDecayType)}`);
    this.pruningScope = options.pruningScope ?? "global";
    if (!["global", "local"].includes(this.pruningScope)) throw new Error(`${where}: pruningScope must be "global" or "local", got ${JSON.stringify(this.pruningScope)}`);
    this.opNames = options.opNames;
    this.excludedOpNames = options.excludedOpNames ?? [];
    this.scoreInit = options.scoreInit ?? 0;
    this.scoreScale = options.scoreScale ?? (this.pruningType === "softMovement" ? 50 : 1);
    if (!(this.scoreScale > 0 && Number.isFinite(this.scoreScale))) throw new Error(`${where}: scoreScale must be a positive number, got ${JSON.stringify(this.scoreScale)}`);
    if (!Number.isFinite(this.scoreInit)) throw new Error(`${where}: scoreInit must be a finite number, got ${JSON.stringify(this.scoreInit)}`);
    this.initialThreshold = options.initialThreshold ?? 0;
    this.finalThreshold = options.finalThreshold ?? 0.1;
    for (const k of ["initialThreshold", "finalThreshold"] as const) if (!(this[k] >= 0 && this[k] < 1)) throw new Error(`${where}: ${k} (τ on σ(S)) must be in [0, 1), got ${JSON.stringify(this[k])}`);
    this.regularizationLambda = options.regularizationLambda ?? 1;
    if (!(this.regularizationLambda >= 0 && Number.isFinite(this.regularizationLambda))) throw new Error(`${where}: regularizationLambda must be a number >= 0, got ${JSON.stringify(this.regularizationLambda)}`);
    if (this.pruningType !== "softMovement") {
      for (const k of ["initialThreshold", "finalThreshold", "regularizationLambda"] as const) if (options[k] !== undefined) throw new Error(`${where}: ${k} applies to pruningType "softMovement" only (this one is "${this.pruningType}"); use targetSparsity`);
    } else if (options.targetSparsity !== undefined || options.initialSparsity !== undefined) {
      throw new Error(`${where}: softMovement's sparsity follows its threshold τ and regulariser λ; set finalThreshold and regularizationLambda instead of targetSparsity`);
    }
  }

  /** The fraction of the schedule done at step t, counting only update steps (t0 + k·Δt, and endStep). */
  scheduleFraction(step: number): number {
    if (step <= this.startStep) return 0;
    if (step >= this.endStep) return 1;
    const last = this.startStep + Math.floor((step - this.startStep) / this.pruningFrequency) * this.pruningFrequency;
    return (last - this.startStep) / (this.endStep - this.startStep);
  }

  /** The scheduled sparsity at step t (magnitude, movement). */
  sparsityAt(step: number): number {
    return sparsityAtFraction(this.sparsityDecayType, this.initialSparsity, this.targetSparsity, this.scheduleFraction(step));
  }

  /** The scheduled threshold τ at step t (soft movement): τ_i → τ_f along the same curve. */
  thresholdAt(step: number): number {
    const p = this.scheduleFraction(step);
    // The exponential curve is defined for sparsities; a threshold follows the cubic one instead.
    return sparsityAtFraction(this.sparsityDecayType === "exponential" ? "cubic" : this.sparsityDecayType, this.initialThreshold, this.finalThreshold, p);
  }

  /** The names of the model's parameters this config prunes (the defaults, or the opNames patterns minus the excluded ones). */
  prunedParameters(model: PreTrainedModel): string[] {
    const match = (pats: readonly (string | RegExp)[], name: string) => pats.some((p) => (typeof p === "string" ? new RegExp(p) : p).test(name));
    const candidates = this.opNames ? [...model.params.keys()].filter((n) => match(this.opNames!, n)) : defaultPrunedParameters(model);
    const names = candidates.filter((n) => !match(this.excludedOpNames, n));
    if (names.length === 0) throw new Error(`PruningConfig: opNames ${JSON.stringify((this.opNames ?? []).map(String))} minus excludedOpNames match no parameter of ${model.constructor.name} (e.g. ${defaultPrunedParameters(model)[0]})`);
    return names;
  }

  private readonly hooksOf = new WeakMap<PreTrainedModel, PruningHooks>();

  createHooks(model: PreTrainedModel): PruningHooks {
    const hooks = new PruningHooks(model, this);
    this.hooksOf.set(model, hooks);
    return hooks;
  }

  /** The hooks this config made for a model (its masks and sparsity), if any. */
  hooksFor(model: PreTrainedModel): PruningHooks | undefined {
    return this.hooksOf.get(model);
  }
}

/**
 * The encoder's linear weights (query, key, value, attention output, FFN in and out), what movement pruning prunes.
 *
 * @example defaultPrunedParameters(student)[0]; // "distilbert.transformer.layer.0.attention.q_lin.weight"
 */
export function defaultPrunedParameters(model: PreTrainedModel): string[] {
  const out: string[] = [];
  for (let i = 0; i < model.spec.layers; i++) {
    const n = model.scheme.layer(i);
    for (const k of [n.query, n.key, n.value, n.attentionOutput, n.intermediate, n.output]) out.push(`${k}.weight`);
  }
  return out;
}

interface PrunedWeight {
  name: string;
  variable: tf.Variable;
  mask: tf.Tensor;
  maskHost: Float32Array;
  scores?: tf.Variable;
  scoresName?: string;
}

/**
 * The hooks a PruningConfig adds to a training loop. Masks are kept in the
 * weights' stored layout; `onStepBegin` refreshes them, `onBeforeOptimizerStep`
 * masks the gradients (and adds soft movement's regulariser gradient to the
 * scores'), `onStepEnd` re-zeroes pruned weights (magnitude: AdamW's
 * moments and weight decay would otherwise move them), `onTrainEnd` makes
 * the masks permanent and removes the transforms.
 *
 * @example const hooks = pruningConfig.hooksFor(student)!; hooks.sparsity(); // 0.9 at the end of the schedule
 */
export class PruningHooks implements CompressionHooks {
  private readonly weights: PrunedWeight[] = [];
  private lastStep?: number;
  private finished = false;

  constructor(readonly model: PreTrainedModel, readonly config: PruningConfig) {
    const names = config.prunedParameters(model);
    for (const name of names) {
      if (model.weightTransforms.has(name)) throw new Error(`PruningConfig: parameter "${name}" already has a weight transform (a pruning mask or fake quantization); remove it (prune's remove(), or registerWeightTransform(name, undefined)) before pruning it here`);
    }
    for (const name of names) {
      const variable = model.params.get(name)!;
      const maskHost = new Float32Array(variable.size).fill(1);
      const w: PrunedWeight = { name, variable, maskHost, mask: tf.ones(variable.shape) };
      if (config.pruningType === "magnitude") model.registerWeightTransform(name, this.magnitudeTransform(w));
      else {
        w.scoresName = `${name.replace(/\.weight$/, "")}.mask_scores`;
        w.scores = tf.variable(tf.fill(variable.shape, config.scoreInit / config.scoreScale), true, `${w.scoresName}/${Math.random().toString(36).slice(2)}`);
        model.registerWeightTransform(name, movementTransform(w.scores, () => w.mask, config.scoreScale, w.scoresName));
      }
      this.weights.push(w);
    }
  }

  /** `W ⊙ M` reading the weight's current mask (replaced at each update), with its backward. */
  private magnitudeTransform(w: PrunedWeight): WeightTransform {
    const f = ((x: tf.Tensor) => tf.mul(x, w.mask)) as WeightTransform;
    f.backward = (g) => ({ weight: tf.mul(g, w.mask) });
    return f;
  }

  /** Movement scores, trained with the model (`<module>.mask_scores`). */
  trainableParams(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const w of this.weights) if (w.scores && !this.finished) out.set(w.scoresName!, w.scores);
    return out;
  }

  /** The current masks by parameter name (stored layout, 1 = kept). */
  masks(): Map<string, Float32Array> {
    return new Map(this.weights.map((w) => [w.name, w.maskHost]));
  }

  /** The share of pruned weights over all pruned parameters. */
  sparsity(): number {
    let zeros = 0;
    let total = 0;
    for (const w of this.weights) {
      for (const v of w.maskHost) if (v === 0) zeros++;
      total += w.maskHost.length;
    }
    return total ? zeros / total : 0;
  }

  onStepBegin(step: number): void {
    if (this.finished) return;
    const c = this.config;
    const first = this.lastStep === undefined;
    this.lastStep = step;
    if (c.pruningType === "magnitude") {
      const update = step === c.endStep || (step >= c.startStep && step <= c.endStep && (step - c.startStep) % c.pruningFrequency === 0);
      if (!first && !update) return;
      const level = c.sparsityAt(step);
      this.setMasks(this.topK(this.weights.map((w) => magnitudeScores(w.variable)), level));
      this.record({ step, targetSparsity: level });
    } else if (c.pruningType === "movement") {
      const level = c.sparsityAt(step);
      this.setMasks(this.topK(this.weights.map((w) => w.scores!.dataSync() as Float32Array), level));
      if (first || step % c.pruningFrequency === 0 || step === c.endStep) this.record({ step, targetSparsity: level });
    } else {
      const tau = c.thresholdAt(step);
      this.setMasks(this.weights.map((w) => Float32Array.from(w.scores!.dataSync() as Float32Array, (s) => (sigmoid(s * c.scoreScale) > tau ? 1 : 0))));
      if (first || step % c.pruningFrequency === 0 || step === c.endStep) this.record({ step, threshold: tau });
    }
  }

  /** Masks keeping the highest scores: one ranking (global) or one per weight (local). */
  private topK(scores: Float32Array[], level: number): Float32Array[] {
    if (this.config.pruningScope === "global") {
      const total = scores.reduce((a, s) => a + s.length, 0);
      return pruneSmallestGlobal(scores, numToPrune(level, total));
    }
    return scores.map((s) => pruneSmallest(s, numToPrune(level, s.length)));
  }

  private setMasks(masks: Float32Array[]): void {
    this.weights.forEach((w, i) => {
      w.maskHost = masks[i];
      const old = w.mask;
      w.mask = tf.tensor(masks[i], w.variable.shape);
      old.dispose();
    });
  }

  private record(e: Omit<PruningEvent, "sparsity">): void {
    const event = { ...e, sparsity: this.sparsity() };
    this.config.history.push(event);
    logger.debug(`pruning step ${e.step}: ${e.targetSparsity !== undefined ? `target ${e.targetSparsity.toFixed(3)}` : `τ ${e.threshold!.toFixed(3)}`}, masks ${(event.sparsity * 100).toFixed(1)}% zeros`);
  }

  /** Masks the gradients of pruned weights; soft movement adds its regulariser's gradient to the scores'. */
  onBeforeOptimizerStep(grads?: Map<string, tf.Tensor>): void {
    if (!grads || this.finished) return;
    const c = this.config;
    const lambda = c.pruningType === "softMovement" && c.finalThreshold > 0 ? (c.regularizationLambda * c.thresholdAt(this.lastStep ?? 0)) / c.finalThreshold : 0;
    for (const w of this.weights) {
      const g = grads.get(w.name);
      if (g) {
        grads.set(w.name, tf.mul(g, w.mask));
        g.dispose();
      }
      if (lambda > 0 && w.scoresName) {
        const gs = grads.get(w.scoresName);
        const reg = softMovementRegularizerGrad(w.scores!, lambda, this.weights.length, c.scoreScale);
        grads.set(w.scoresName, gs ? tf.add(gs, reg) : reg);
        if (gs) {
          gs.dispose();
          reg.dispose();
        }
      }
    }
  }

  /** Magnitude: pruned weights back to exactly zero after the optimizer's step. */
  onStepEnd(): void {
    if (this.finished || this.config.pruningType !== "magnitude") return;
    for (const w of this.weights) tf.tidy(() => w.variable.assign(tf.mul(w.variable, w.mask)));
  }

  /** Soft movement's regulariser value (mean σ(S) over the pruned weights), for logs. */
  regularizer(): number {
    return softMovementRegularizer(this.weights.filter((w) => w.scores).map((w) => w.scores!), this.config.scoreScale);
  }

  /** Makes the masks permanent (W ← W ⊙ M) and removes the transforms: the model is a plain dense model with zeros. */
  onTrainEnd(): void {
    if (this.finished) return;
    // Movement: the final masks come from the final scores (the last optimizer step moved them), as the paper's saved models.
    if (this.config.pruningType !== "magnitude" && this.lastStep !== undefined) {
      const recorded = this.config.history.length;
      this.onStepBegin(this.lastStep + 1);
      this.config.history.length = recorded;
    }
    for (const w of this.weights) {
      tf.tidy(() => w.variable.assign(tf.mul(w.variable, w.mask)));
      this.model.registerWeightTransform(w.name, undefined);
    }
    this.finished = true;
    logger.info(`Pruning (${this.config.pruningType}) finished: ${(this.sparsity() * 100).toFixed(1)}% of ${this.weights.length} weight matrices are zero`);
  }

  dispose(): void {
    for (const w of this.weights) {
      if (this.model.weightTransforms.has(w.name) && !this.finished) this.model.registerWeightTransform(w.name, undefined);
      w.mask.dispose();
      w.scores?.dispose();
    }
    this.weights.length = 0;
  }
}

/**
 * The share of zeros in a model's parameters (by default the encoder's
 * linear weights, what PruningConfig prunes) as the forward pass uses them:
 * a registered mask (prune's l1Unstructured on a `moduleOf` view, or a
 * PruningConfig still training) counts, not only zeros stored.
 *
 * @example modelSparsity(student); // 0.9
 */
export function modelSparsity(model: PreTrainedModel, names: readonly string[] = defaultPrunedParameters(model)): number {
  let zeros = 0;
  let total = 0;
  for (const n of names) {
    if (!model.params.has(n)) throw new Error(`modelSparsity: the model has no parameter "${n}"`);
    const d = tf.tidy(() => model.weight(n).dataSync());
    for (let i = 0; i < d.length; i++) if (d[i] === 0) zeros++;
    total += d.length;
  }
  return total ? zeros / total : 0;
}
