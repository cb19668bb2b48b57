import * as tf from "@tensorflow/tfjs-core";
import { stopGradient } from "../ops";

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
