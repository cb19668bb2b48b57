// The small real things a fill-in-the-blank check runs the learner's answer
// on: a tiny BERT teacher, its DistilBERT student, a batch, fixed logits.
// Each check builds what it needs and frees it; nothing is downloaded.
import * as tf from "@tensorflow/tfjs-core";
import { BertForSequenceClassification } from "../models/bert";
import { labelMaps } from "../models/config";
import type { PreTrainedModel } from "../models/modeling";

/**
 * A 2-layer BERT classifier over a 12-token vocabulary (3 labels), seeded.
 *
 * @example
 * const teacher = tinyTeacher(); // teacher.spec.layers === 2
 * teacher.dispose();
 */
export function tinyTeacher(seed = 7): PreTrainedModel {
  return BertForSequenceClassification.fromConfig(
    { vocab_size: 12, hidden_size: 8, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 8, initializer_range: 0.5, ...labelMaps(["balance", "transfer", "oos"]) },
    { seed },
  );
}

/**
 * Two padded rows of token ids for the tiny models.
 *
 * @example
 * tf.tidy(() => tinyTeacher().call(tinyBatch()).logits.shape); // [2, 3]
 */
export function tinyBatch(): { input_ids: tf.Tensor2D; attention_mask: tf.Tensor2D } {
  return {
    input_ids: tf.tensor2d([[2, 5, 7, 9, 3], [2, 6, 4, 3, 0]], undefined, "int32"),
    attention_mask: tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]], undefined, "int32"),
  };
}

/**
 * Fixed student and teacher logits (3 rows, 4 classes) and their labels.
 *
 * @example
 * const { student, teacher } = fixedLogits();
 * kdLoss(student, teacher, 2); // the value a filled KD loss must equal
 */
export function fixedLogits(): { student: tf.Tensor2D; teacher: tf.Tensor2D; labels: tf.Tensor1D } {
  return {
    student: tf.tensor2d([[1.5, -0.3, 0.2, 0.9], [0.1, 2.2, -1.0, 0.4], [-0.5, 0.3, 1.1, 0.0]]),
    teacher: tf.tensor2d([[3.0, -1.0, 0.5, 1.0], [-0.2, 4.0, -2.0, 0.8], [-1.0, 0.6, 2.5, 0.1]]),
    labels: tf.tensor1d([0, 1, 2], "int32"),
  };
}

/**
 * The one number in a scalar tensor (or a plain number); throws on anything else.
 *
 * @example
 * scalarValue(tf.scalar(0.5), "your loss"); // 0.5
 */
export function scalarValue(value: unknown, what: string): number {
  if (typeof value === "number") return value;
  if (value instanceof tf.Tensor && value.size === 1) return value.dataSync()[0];
  throw new Error(`${what} returned ${value instanceof tf.Tensor ? `a tensor of shape [${value.shape}]` : value === undefined ? "undefined" : typeof value}, not a scalar tensor`);
}

/**
 * Whether two numbers agree to a relative 1e-4.
 *
 * @example
 * near(1, 1.00001); // true
 */
export function near(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(a), Math.abs(b));
}
