import * as tf from "@tensorflow/tfjs-core";
import { stopGradient } from "../ops";
import { crossEntropy } from "../training/loss";
import { registerLoss } from "../training/losses";

/**
 * The chapter's soft-target term: T² · KL(softmax(teacher/T) ‖ softmax(student/T)),
 * averaged over the batch (PyTorch's KLDivLoss(reduction="batchmean") on
 * log_softmax(student/T) and softmax(teacher/T)). No gradient reaches the teacher.
 */
export function kdLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, temperature: number): tf.Scalar {
  if (!(temperature > 0)) throw new Error(`kdLoss: temperature must be > 0, got ${temperature}`);
  if (studentLogits.shape.join() !== teacherLogits.shape.join()) throw new Error(`kdLoss: student logits [${studentLogits.shape}] and teacher logits [${teacherLogits.shape}] differ`);
  return tf.tidy(() => {
    const teacher = stopGradient(teacherLogits);
    const logQ = tf.logSoftmax(tf.div(studentLogits, temperature));
    const logP = tf.logSoftmax(tf.div(teacher, temperature));
    const kl = tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)));
    return tf.mul(tf.div(kl, studentLogits.shape[0]), temperature * temperature) as tf.Scalar;
  });
}

/** alpha · CE + (1 − alpha) · kdLoss, the DistillationTrainer's loss. */
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
