import * as tf from "@tensorflow/tfjs-core";
import { PreTrainedModel } from "../../models/modeling";
import { DataCollatorWithPadding, EncodedRow } from "../data";
import { Random } from "../../utils/random";
import { crossEntropy } from "../loss";
import { distillationLoss } from "../../distillation/loss";
import type { ShardDistillation } from "./protocol";

/**
 * Loss and gradients (by parameter name) of the default training loss on one
 * batch shard (plus the distillation term when `kd` gives the teacher's
 * logits per row). Shared by the in-process path and the workers, so both
 * compute the same thing.
 */
export function shardGradients(
  model: PreTrainedModel,
  collator: DataCollatorWithPadding,
  rows: EncodedRow[],
  seed: number,
  labelSmoothing: number,
  kd?: ShardDistillation & { teacherLogits: Float32Array[] },
): { loss: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const rng = new Random(seed);
  const inputs = collator.call(rows, rng);
  if (kd && kd.teacherLogits.length !== rows.length) throw new Error(`shardGradients: ${kd.teacherLogits.length} rows of teacher logits for ${rows.length} rows`);
  const teacher = kd ? tf.tensor2d(kd.teacherLogits.map((r) => [...r])) : undefined;
  try {
    const vars = model.trainableVariables();
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.call(inputs, { training: true, rng }).logits;
      const ce = crossEntropy(logits, inputs.labels, labelSmoothing);
      return kd && teacher ? distillationLoss(ce, logits, teacher, kd.alpha, kd.temperature) : ce;
    }, vars);
    const byName = new Map<string, tf.Tensor>();
    const nameOf = new Map([...model.params].map(([n, v]) => [v.name, n]));
    for (const [id, g] of Object.entries(grads)) byName.set(nameOf.get(id)!, g);
    return { loss: value, grads: byName };
  } finally {
    tf.dispose([...Object.values(inputs), ...(teacher ? [teacher] : [])]);
  }
}
