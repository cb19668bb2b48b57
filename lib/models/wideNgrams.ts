// The "wide" half of a wide-and-deep intent model (Cheng et al., 2016): a
// linear model on hashed token n-grams whose logits add to the transformer's.
// The n-grams are hashed from the token ids themselves (no second input), so
// every pipeline that feeds input_ids feeds the wide part too.
import * as tf from "@tensorflow/tfjs-core";
import { embedding } from "../ops";
import { ModelConfig, wideNgramSpec } from "./config";

export type { WideNgramSpec } from "./config";
export { wideNgramSpec } from "./config";

// Multipliers of the hash: odd, so a power-of-two bucket count keeps every
// low bit of the ids; a*31337 + b*7919 + 104729 stays below 2^31 for ids < 30522,
// as int32 arithmetic (an ONNX export's Mul/Add/Mod) would need.
const UNI = 7919;
const BI_LEFT = 31337;
const BI_OFFSET = 104729;

/**
 * The bucket of a unigram (one token id).
 *
 * @example unigramBucket(7, 2048); // 137 (7 · 7919 mod 2048)
 */
export function unigramBucket(id: number, buckets: number): number {
  return (id * UNI) % buckets;
}

/**
 * The bucket of a bigram (two consecutive token ids); the order matters.
 *
 * @example bigramBucket(5, 6, 2048) !== bigramBucket(6, 5, 2048); // true
 */
export function bigramBucket(left: number, right: number, buckets: number): number {
  return (left * BI_LEFT + right * UNI + BI_OFFSET) % buckets;
}

/**
 * Each row's n-gram buckets and their weights: the unigrams of its attended
 * tokens ([CLS] and [SEP] included: they mark where a query starts and ends)
 * and the bigrams of consecutive attended tokens, each weighing 1 / their
 * count, so the wide features are the mean of the row's n-gram rows. Shapes
 * [batch, 2·seq − 1]; padding slots weigh 0.
 *
 * @example
 * ngramBuckets(Int32Array.from([2, 7, 3]), Int32Array.from([1, 1, 1]), 1, 3, 2048).weight; // five 0.2s (3 unigrams, 2 bigrams)
 */
export function ngramBuckets(ids: Int32Array, mask: Int32Array | undefined, batch: number, seq: number, buckets: number): { index: Int32Array; weight: Float32Array; width: number } {
  const width = Math.max(1, 2 * seq - 1);
  const index = new Int32Array(batch * width);
  const weight = new Float32Array(batch * width);
  for (let r = 0; r < batch; r++) {
    const o = r * width;
    let n = 0;
    const on = (j: number) => !mask || mask[r * seq + j] !== 0;
    for (let j = 0; j < seq; j++) {
      if (!on(j)) continue;
      index[o + j] = unigramBucket(ids[r * seq + j], buckets);
      weight[o + j] = 1;
      n++;
    }
    for (let j = 0; j + 1 < seq; j++) {
      if (!on(j) || !on(j + 1)) continue;
      index[o + seq + j] = bigramBucket(ids[r * seq + j], ids[r * seq + j + 1], buckets);
      weight[o + seq + j] = 1;
      n++;
    }
    if (n > 0) for (let k = 0; k < width; k++) weight[o + k] /= n;
  }
  return { index, weight, width };
}

/**
 * The wide features of a batch: the weighted mean of its n-gram rows of
 * `table` ([buckets, dim]), differentiable in the table. [batch, dim].
 *
 * @example const features = wideFeatures(model.weight("wide.embeddings.weight"), input_ids, attention_mask); // [batch, wide_dim]
 */
export function wideFeatures(table: tf.Tensor, ids: tf.Tensor2D, mask: tf.Tensor2D | undefined): tf.Tensor2D {
  const [batch, seq] = ids.shape;
  const [buckets] = table.shape;
  const { index, weight, width } = ngramBuckets(ids.dataSync() as Int32Array, mask ? Int32Array.from(mask.dataSync()) : undefined, batch, seq, buckets);
  const rows = embedding(table, tf.tensor2d(index, [batch, width], "int32")); // [batch, width, dim]
  const weighted = tf.mul(rows, tf.tensor3d(weight, [batch, width, 1]));
  return tf.sum(weighted, 1) as tf.Tensor2D;
}

/**
 * Stops a step that does not carry the wide part yet (ONNX export, dynamic
 * quantization, vocabulary pruning, whose new token ids would move every
 * n-gram to another bucket) before it silently drops or scrambles it.
 *
 * @example rejectWidePart(model.config, "exportToOnnx"); // throws for a wide-and-deep student
 */
export function rejectWidePart(config: ModelConfig, where: string): void {
  const wide = wideNgramSpec(config);
  if (wide) throw new Error(`${where}: the model has a wide n-gram part (wide_ngram_buckets ${wide.buckets}, wide_dim ${wide.dim}) that ${where} does not carry; run this model with its TensorFlow.js pipeline`);
}
