import * as tf from "@tensorflow/tfjs-core";
import { PreTrainedModel } from "../../models/modeling";
import { DataCollatorWithPadding, EncodedRow } from "../data";
import { Random } from "../../utils/random";
import { crossEntropy } from "../loss";

/**
 * Loss and gradients (by parameter name) of the default training loss on one
 * batch shard. Shared by the in-process path and the workers, so both
 * compute the same thing.
 */
export function shardGradients(
  model: PreTrainedModel,
  collator: DataCollatorWithPadding,
  rows: EncodedRow[],
  seed: number,
  labelSmoothing: number,
): { loss: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const rng = new Random(seed);
  const inputs = collator.call(rows, rng);
  try {
    const vars = model.trainableVariables();
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.call(inputs, { training: true, rng }).logits, inputs.labels, labelSmoothing), vars);
    const byName = new Map<string, tf.Tensor>();
    const nameOf = new Map([...model.params].map(([n, v]) => [v.name, n]));
    for (const [id, g] of Object.entries(grads)) byName.set(nameOf.get(id)!, g);
    return { loss: value, grads: byName };
  } finally {
    tf.dispose(Object.values(inputs));
  }
}
