import * as tf from "@tensorflow/tfjs-core";
import { registerLoss } from "./losses";

/**
 * Mean cross-entropy of logits against integer labels, with optional label smoothing (as torch).
 *
 * @example
 * crossEntropy(tf.tensor2d([[2, 0], [0, 2]]), tf.tensor1d([0, 1], "int32")).dataSync()[0]; // 0.1269 (log(1 + e^-2))
 * const smoothed = crossEntropy(outputs.logits, inputs.labels, 0.1);
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, labelSmoothing = 0): tf.Scalar {
  // As torch: a smoothing outside [0, 1] is an error, not silently no smoothing.
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new Error(`crossEntropy: labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
  return tf.tidy(() => {
    const numClasses = logits.shape[1];
    const logp = tf.logSoftmax(logits);
    const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(labels, numClasses), logp), -1));
    if (labelSmoothing <= 0) return tf.mean(nll) as tf.Scalar;
    const smooth = tf.neg(tf.mean(logp, -1));
    return tf.mean(tf.add(tf.mul(nll, 1 - labelSmoothing), tf.mul(smooth, labelSmoothing))) as tf.Scalar;
  });
}

/** The Trainer's default loss: `{ kind: "ce", labelSmoothing }`, smoothing in training steps only (as HF's LabelSmoother). */
export interface CrossEntropySpec {
  kind: "ce";
  labelSmoothing?: number;
}

registerLoss("ce", (spec) => {
  const smoothing = Number((spec as unknown as CrossEntropySpec).labelSmoothing ?? 0);
  if (!(smoothing >= 0 && smoothing < 1)) throw new Error(`loss "ce": labelSmoothing must be in [0, 1), got ${spec.labelSmoothing}`);
  return ({ outputs, inputs, training }) => crossEntropy(outputs.logits, inputs.labels, training ? smoothing : 0);
}, __filename);
