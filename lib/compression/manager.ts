// Neural Compressor's compression manager: prepareCompression(model, configs)
// composes the hooks of every config (distillation, quantization-aware
// training, pruning); a hand-written loop calls them, and the Trainer calls
// the same hooks through asTrainerCallback(), so there is one code path.
import type * as tf from "@tensorflow/tfjs-core";
import type { PreTrainedModel, SequenceClassifierOutput } from "../models/modeling";
import type { TensorBatch } from "../training/data";
import type { TrainerCallback } from "../training/callbacks";
import type { CompressionConfig, CompressionHooks } from "./types";

/**
 * Runs compression during training. Call its hooks from your loop (see the
 * example) or pass it (or its configs) to `distill(trainer, …)`.
 *
 * @example
 * const manager = prepareCompression(student, [distillationConfig, qatConfig]);
 * manager.onTrainBegin();
 * for (const epoch of …) { manager.onEpochBegin(epoch); for (const step of …) {
 *   manager.onStepBegin(step);
 *   const { value, grads } = tf.variableGrads(() => {
 *     const outputs = manager.model.call(inputs, manager.forwardOptions({ training: true, rng }));
 *     return manager.onAfterComputeLoss(inputs, outputs, crossEntropy(outputs.logits, inputs.labels));
 *   }, manager.trainableVariables());
 *   manager.onBeforeOptimizerStep(gradsByName); optimizer.applyGradients(gradsByName, lr); manager.onStepEnd(); } manager.onEpochEnd(); }
 * manager.onTrainEnd();
 */
export class CompressionManager {
  epoch = 0;
  step = 0;
  /** Every hook call, in order (what the loop did; tests and notebooks print it). */
  readonly events: string[] = [];
  private readonly hooks: CompressionHooks[];

  constructor(readonly model: PreTrainedModel, readonly configs: readonly CompressionConfig[]) {
    if (configs.length === 0) throw new Error("prepareCompression: no configs given");
    configs.forEach((c, i) => {
      if (!c || typeof (c as CompressionConfig).createHooks !== "function") throw new Error(`prepareCompression: config ${i} is not a compression config (got ${c === null ? "null" : typeof c}; pass DistillationConfig, QuantizationAwareTrainingConfig or PruningConfig objects)`);
    });
    const kinds = configs.map((c) => c.kind);
    const twice = kinds.find((k, i) => k !== "distillation" && kinds.indexOf(k) !== i);
    if (twice) throw new Error(`prepareCompression: two ${twice} configs for one model; combine them into one`);
    this.hooks = configs.map((c) => c.createHooks(model));
  }

  /** Forward options the loop must pass to the model (hidden states / attentions the hooks need). */
  forwardOptions<T extends object>(base: T): T & { outputHiddenStates?: boolean; outputAttentions?: boolean } {
    const want = this.modelOutputs();
    return { ...base, outputHiddenStates: want.hiddenStates || undefined, outputAttentions: want.attentions || undefined };
  }

  private modelOutputs(): { hiddenStates: boolean; attentions: boolean } {
    return { hiddenStates: this.hooks.some((h) => h.modelOutputs?.hiddenStates), attentions: this.hooks.some((h) => h.modelOutputs?.attentions) };
  }

  /** Extra trainable parameters of every config, by name. */
  trainableParams(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const h of this.hooks) for (const [k, v] of h.trainableParams?.() ?? []) {
      if (out.has(k) || this.model.params.has(k)) throw new Error(`CompressionManager: two trainable parameters named "${k}"`);
      out.set(k, v);
    }
    return out;
  }

  /** The model's trainable variables plus the configs'. */
  trainableVariables(): tf.Variable[] {
    return [...this.model.trainableVariables(), ...this.trainableParams().values()];
  }

  onTrainBegin(): void {
    this.events.push("onTrainBegin");
    for (const h of this.hooks) h.onTrainBegin?.();
  }
  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
    this.events.push(`onEpochBegin:${epoch}`);
    for (const h of this.hooks) h.onEpochBegin?.(epoch);
  }
  onStepBegin(step: number): void {
    this.step = step;
    this.events.push(`onStepBegin:${step}`);
    for (const h of this.hooks) h.onStepBegin?.(step);
  }
  /** The loss after every config's term (distillation); call it under the gradient tape. */
  onAfterComputeLoss(inputs: TensorBatch, outputs: SequenceClassifierOutput, loss: tf.Scalar): tf.Scalar {
    this.events.push("onAfterComputeLoss");
    let out = loss;
    for (const h of this.hooks) if (h.onAfterComputeLoss) out = h.onAfterComputeLoss(inputs, outputs, out);
    return out;
  }
  /** Gradients by parameter name (pruning masks them); optional for configs that need none. */
  onBeforeOptimizerStep(grads?: Map<string, tf.Tensor>): void {
    this.events.push("onBeforeOptimizerStep");
    for (const h of this.hooks) h.onBeforeOptimizerStep?.(grads);
  }
  onStepEnd(): void {
    this.events.push("onStepEnd");
    for (const h of this.hooks) h.onStepEnd?.();
  }
  onEpochEnd(): void {
    this.events.push("onEpochEnd");
    for (const h of this.hooks) h.onEpochEnd?.();
  }
  onTrainEnd(): void {
    this.events.push("onTrainEnd");
    for (const h of this.hooks) h.onTrainEnd?.();
  }

  /** Releases what the configs' hooks hold. */
  dispose(): void {
    for (const h of this.hooks) h.dispose?.();
  }

  /** The same hooks as a Trainer callback (the built-in loop's path). */
  asTrainerCallback(): TrainerCallback {
    const want = this.modelOutputs();
    const callback: TrainerCallback = {
      modelOutputs: want,
      trainableParams: () => this.trainableParams(),
      onTrainBegin: () => this.onTrainBegin(),
      onEpochBegin: (_a, state) => this.onEpochBegin(Math.floor(state.epoch)),
      onStepBegin: (_a, state) => this.onStepBegin(state.globalStep),
      onBeforeOptimizerStep: (_a, _s, grads) => this.onBeforeOptimizerStep(grads),
      onStepEnd: () => this.onStepEnd(),
      onEpochEnd: () => this.onEpochEnd(),
      onTrainEnd: () => this.onTrainEnd(),
    };
    // Only configs that change the loss claim onAfterComputeLoss (it keeps the Trainer in one thread).
    if (this.hooks.some((h) => h.onAfterComputeLoss)) callback.onAfterComputeLoss = (_a, _s, ctx, loss) => this.onAfterComputeLoss(ctx.inputs, ctx.outputs!, loss);
    return callback;
  }
}

/**
 * Neural Compressor's `prepare_compression`: one manager for one or several
 * configs, e.g. `[DistillationConfig, QuantizationAwareTrainingConfig]`.
 *
 * @example const manager = prepareCompression(student, [dConf, qConf]);
 */
export function prepareCompression(model: PreTrainedModel, configs: CompressionConfig | readonly CompressionConfig[]): CompressionManager {
  return new CompressionManager(model, Array.isArray(configs) ? configs : [configs as CompressionConfig]);
}
