import type * as tf from "@tensorflow/tfjs-core";
import type { PreTrainedModel, SequenceClassifierOutput } from "../models/modeling";
import type { TensorBatch } from "../training/data";

/**
 * What one compression technique adds to a training loop (Neural
 * Compressor's callbacks): every member is optional, and the manager calls
 * the hooks of all its configs in order.
 */
export interface CompressionHooks {
  /** Model outputs `onAfterComputeLoss` needs (hidden states for layer-wise distillation). */
  modelOutputs?: { hiddenStates?: boolean; attentions?: boolean };
  /** Extra parameters trained with the model (a distillation projection, movement-pruning scores), by name. */
  trainableParams?(): Map<string, tf.Variable>;
  onTrainBegin?(): void;
  onEpochBegin?(epoch: number): void;
  onStepBegin?(step: number): void;
  /** Returns the new loss (e.g. plus a distillation term); runs under the gradient tape. */
  onAfterComputeLoss?(inputs: TensorBatch, outputs: SequenceClassifierOutput, loss: tf.Scalar): tf.Scalar;
  /** Sees (and may edit in place) the gradients by parameter name, before the optimizer uses them. */
  onBeforeOptimizerStep?(grads?: Map<string, tf.Tensor>): void;
  onStepEnd?(): void;
  onEpochEnd?(): void;
  onTrainEnd?(): void;
  /** Releases what the hooks hold (weight transforms, tensors). */
  dispose?(): void;
}

/**
 * A compression technique's configuration (`DistillationConfig`,
 * `QuantizationAwareTrainingConfig`, `PruningConfig`): it builds its hooks
 * for one model. Adding a technique means adding a config, never editing the
 * training loop.
 */
export interface CompressionConfig {
  /** "distillation" | "quantization" | "pruning" | …, for messages. */
  readonly kind: string;
  createHooks(model: PreTrainedModel): CompressionHooks;
}
