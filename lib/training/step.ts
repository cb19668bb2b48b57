// One training step's loss and gradients for a batch (or a shard of one).
// The Trainer's own thread and its data-parallel workers both run this, so
// they compute the same thing from the same seed.
import * as tf from "@tensorflow/tfjs-core";
import type { PreTrainedModel, SequenceClassifierOutput } from "../models/modeling";
import { Random } from "../utils/random";
import type { DataCollator, EncodedRow, TensorBatch } from "./data";
import type { RowTargets } from "./losses";

/** Everything `Trainer.computeLoss` gets for one batch. */
export interface ComputeLossContext {
  model: PreTrainedModel;
  inputs: TensorBatch;
  /** The batch's RowTargets as [batch, …] tensors (e.g. `teacherLogits`). */
  targets: Record<string, tf.Tensor>;
  /** A training step (dropout, label smoothing) or an evaluation. */
  training: boolean;
  /** Seeds dropout in training steps. */
  rng?: Random;
}

export interface ComputeLossOutput {
  loss: tf.Scalar;
  outputs: SequenceClassifierOutput;
}

/**
 * RowTargets as tensors, one [rows, width] tensor per name.
 *
 * @example
 * targetTensors({ teacherLogits: [Float32Array.of(1, 2, 3), Float32Array.of(4, 5, 6)] }, 2).teacherLogits.shape; // [2, 3]
 */
export function targetTensors(targets: RowTargets | undefined, rows: number): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, list] of Object.entries(targets ?? {})) {
    if (list.length !== rows) throw new Error(`Training step: ${list.length} rows of "${name}" targets for ${rows} rows`);
    const width = list[0]?.length ?? 0;
    const flat = new Float32Array(rows * width);
    list.forEach((r, i) => {
      if (r.length !== width) throw new Error(`Training step: "${name}" target row ${i} has ${r.length} values, row 0 has ${width}`);
      flat.set(r, i * width);
    });
    out[name] = tf.tensor2d(flat, [rows, width]);
  }
  return out;
}

/**
 * Collates `rows` (masking tokens with the seed's generator when the
 * collator augments), runs `computeLoss` under the gradient tape and returns
 * the loss and the gradients of `vars` by parameter name. `afterLoss` may
 * replace the loss (the Trainer's onAfterComputeLoss callbacks).
 *
 * @example
 * const vars = [...model.params.values()], nameOf = new Map([...model.params].map(([name, v]) => [v.name, name]));
 * const { loss, grads } = lossAndGradients({ model, collator: trainer.collator, rows: batch, seed: 42, computeLoss: (ctx) => trainer.computeLoss(ctx), vars, nameOf });
 * // loss: number; grads: Map<parameter name, tf.Tensor>
 */
export function lossAndGradients(options: {
  model: PreTrainedModel;
  collator: DataCollator;
  rows: readonly EncodedRow[];
  seed: number;
  computeLoss: (ctx: ComputeLossContext) => ComputeLossOutput;
  /** Per-row targets, or a function of the collated batch (e.g. teacher logits of the masked inputs). */
  targets?: RowTargets | ((inputs: TensorBatch) => RowTargets);
  vars: tf.Variable[];
  /** tf variable name → parameter name. */
  nameOf: Map<string, string>;
  afterLoss?: (inputs: TensorBatch, out: ComputeLossOutput) => tf.Scalar;
}): { loss: number; grads: Map<string, tf.Tensor> } {
  const { model, collator, rows, seed, vars, nameOf } = options;
  const rng = new Random(seed);
  const inputs = collator.call(rows, rng);
  const rowTargets = typeof options.targets === "function" ? options.targets(inputs) : options.targets;
  const targets = targetTensors(rowTargets, rows.length);
  try {
    const { value, grads } = tf.variableGrads(() => {
      const out = options.computeLoss({ model, inputs, targets, training: true, rng });
      return options.afterLoss ? options.afterLoss(inputs, out) : out.loss;
    }, vars);
    const loss = value.dataSync()[0];
    value.dispose();
    const byName = new Map<string, tf.Tensor>();
    for (const [id, g] of Object.entries(grads)) {
      const name = nameOf.get(id);
      if (!name) throw new Error(`Training step: a gradient for an unknown variable ${id}`);
      byName.set(name, g);
    }
    return { loss, grads: byName };
  } finally {
    tf.dispose([...Object.values(inputs), ...Object.values(targets)]);
  }
}
