// Masked-LM evaluation for Trainer.predict when the collator masks tokens
// (pretraining): a loop of its own, so the Trainer keeps only its loop.
import * as tf from "@tensorflow/tfjs-core";
import type { Dataset } from "../data/dataset";
import type { PreTrainedModel } from "../models/modeling";
import { batchRows, DataCollator, EncodedRow, inferenceBatches } from "./data";
import { crossEntropy } from "./loss";

/**
 * Masked-LM metrics: the collator masks each batch from its fixed
 * evaluation seed; `<prefix>Loss` is the mean cross-entropy over masked
 * tokens and `<prefix>Accuracy` the share of them predicted exactly.
 *
 * @example await evaluateMaskedLm(mlm, evalDs, { collator, maxLength: 64, batchSize: 64, prefix: "eval" }); // { evalLoss: 3.1, evalAccuracy: 0.42, … }
 */
export async function evaluateMaskedLm(model: PreTrainedModel, dataset: Dataset<EncodedRow>, options: { collator: DataCollator; maxLength: number; batchSize: number; prefix: string }): Promise<Record<string, number>> {
  const { collator, maxLength, batchSize, prefix: p } = options;
  const start = performance.now();
  const lengths = dataset.rows.map((r) => Math.min(r.input_ids.length, maxLength));
  let lossSum = 0;
  let correct = 0;
  let tokens = 0;
  for (const idx of inferenceBatches(lengths, batchSize)) {
    const inputs = collator.call(batchRows(dataset, idx, maxLength));
    const [loss, hits] = tf.tidy(() => {
      const logits = model.call(inputs).logits;
      return [crossEntropy(logits, inputs.labels, 0), tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), inputs.labels), "float32"))];
    }) as [tf.Scalar, tf.Scalar];
    const n = inputs.labels.shape[0];
    lossSum += (await loss.data())[0] * n;
    correct += (await hits.data())[0];
    tokens += n;
    tf.dispose([loss, hits, ...Object.values(inputs)]);
  }
  const runtime = (performance.now() - start) / 1000;
  return { [`${p}Loss`]: lossSum / tokens, [`${p}Accuracy`]: correct / tokens, [`${p}Runtime`]: runtime, [`${p}SamplesPerSecond`]: dataset.length / runtime };
}
