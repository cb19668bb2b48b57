import * as tf from "@tensorflow/tfjs-core";
import { stopGradient } from "../ops";
import { crossEntropy } from "../training/loss";
import { registerLoss } from "../training/losses";

/**
 * How the KL divergence is reduced (PyTorch's KLDivLoss `reduction`):
 * `"batchmean"` sums over the classes and averages over the rows (the
 * chapter's DistillationTrainer); `"mean"` averages over every element
 * (KLDivLoss's default, which Intel Neural Compressor's KL criterion uses).
 */
export type KdReduction = "batchmean" | "mean";

/**
 * The one knowledge-distillation term both routes use (DistillationTrainer
 * and DistillationConfig): T² · KL(softmax(teacher/T) ‖ softmax(student/T)),
 * reduced as `reduction` says (PyTorch's KLDivLoss on log_softmax(student/T)
 * and softmax(teacher/T)), over the last axis. No gradient reaches the teacher.
 *
 * @example
 * kdLoss(studentLogits, teacherLogits, 2);            // batchmean, as the book's DistillationTrainer
 * kdLoss(studentLogits, teacherLogits, 2, "mean");    // element-wise mean, as KLDivLoss's default
 */
export function kdLoss(studentLogits: tf.Tensor, teacherLogits: tf.Tensor, temperature: number, reduction: KdReduction = "batchmean"): tf.Scalar {
  const kind = (x: unknown) => (x === undefined ? "undefined" : Array.isArray(x) ? `an array of ${x.length}` : x === null ? "null" : typeof x === "object" ? (x as object).constructor?.name ?? "an object" : typeof x);
  for (const [name, t] of [["studentLogits", studentLogits], ["teacherLogits", teacherLogits]] as const) {
    if (!(t instanceof tf.Tensor)) throw new Error(`kdLoss: ${name} must be a tensor of logits [batch, classes], got ${kind(t)}`);
  }
  if (!(temperature > 0)) throw new Error(`kdLoss: temperature must be > 0, got ${temperature}`);
  if (studentLogits.shape.join() !== teacherLogits.shape.join()) throw new Error(`kdLoss: student logits [${studentLogits.shape}] and teacher logits [${teacherLogits.shape}] differ`);
  if (reduction !== "batchmean" && reduction !== "mean") throw new Error(`kdLoss: reduction must be "batchmean" or "mean", got ${JSON.stringify(reduction)}`);
  return tf.tidy(() => {
    const teacher = stopGradient(teacherLogits);
    const logQ = tf.logSoftmax(tf.div(studentLogits, temperature));
    const logP = tf.logSoftmax(tf.div(teacher, temperature));
    const elements = tf.mul(tf.exp(logP), tf.sub(logP, logQ));
    const kl = reduction === "batchmean" ? tf.div(tf.sum(elements), studentLogits.shape[0]) : tf.mean(elements);
    return tf.mul(kl, temperature * temperature) as tf.Scalar;
  });
}

/**
 * alpha · CE + (1 − alpha) · kdLoss, the DistillationTrainer's loss.
 *
 * @example
 * const loss = distillationLoss(crossEntropy(logits, labels, 0), logits, teacherLogits, 0.5, 2); // 0.5·CE + 0.5·kdLoss(…, T = 2)
 * distillationLoss(ce, logits, teacherLogits, 1, 2) === ce; // true: alpha 1 is the student alone
 */
export function distillationLoss(ce: tf.Scalar, studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, alpha: number, temperature: number): tf.Scalar {
  if (alpha === 1) return ce; // the student alone: no teacher term (and no teacher pass needed)
  return tf.tidy(() => tf.add(tf.mul(ce, alpha), tf.mul(kdLoss(studentLogits, teacherLogits, temperature), 1 - alpha)) as tf.Scalar);
}

/** The DistillationTrainer's loss as data: α·CE (label-smoothed in training) + (1−α)·kdLoss against `teacherLogits` rows. */
export interface DistillationLossSpec {
  kind: "kd";
  alpha: number;
  temperature: number;
  labelSmoothing?: number;
}

registerLoss(
  "kd",
  (spec) => {
    const { alpha, temperature, labelSmoothing = 0 } = spec as unknown as DistillationLossSpec;
    if (!(alpha >= 0 && alpha <= 1)) throw new Error(`loss "kd": alpha must be in [0, 1], got ${alpha}`);
    if (!(temperature > 0 && Number.isFinite(temperature))) throw new Error(`loss "kd": temperature must be a positive number, got ${temperature}`);
    return ({ outputs, inputs, targets, training }) => {
      const teacher = targets.teacherLogits as tf.Tensor2D | undefined;
      if (!teacher) throw new Error('loss "kd": the batch has no teacherLogits targets');
      const ce = crossEntropy(outputs.logits, inputs.labels, training ? labelSmoothing : 0);
      return distillationLoss(ce, outputs.logits, teacher, alpha, temperature);
    };
  },
  __filename,
  { targets: ["teacherLogits"] },
);
