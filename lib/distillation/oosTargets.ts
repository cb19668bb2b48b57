// Distilling the out-of-scope behaviour explicitly: the teacher's soft
// targets on rows labelled out-of-scope keep the teacher's spread over the
// intents it confuses them with, but move `mass` of the probability to the
// out-of-scope label. A teacher that calls a real out-of-scope query
// "travel_suggestion" with 0.6 then still teaches the student that it is
// out-of-scope first. In-scope rows keep the teacher's targets unchanged.
import * as tf from "@tensorflow/tfjs-core";
import type { ModelInputs } from "../models/modeling";
import type { SequenceClassificationModel } from "../models/sequenceClassification";

export interface OosTargetOptions {
  /** The out-of-scope label's id. */
  oosId: number;
  /** Probability moved to the out-of-scope label on its rows, in (0, 1]. */
  mass: number;
}

/**
 * A teacher whose logits on rows labelled `oosId` (the batch's `labels`) are
 * log((1 − mass)·p + mass·onehot(oos)), p the wrapped teacher's
 * probabilities; rows of other labels, and batches without labels (a
 * pipeline's), get the teacher's logits unchanged. Give it to the
 * DistillationTrainer as `teacherModel`.
 *
 * @example
 * const teacher = new OosTargetTeacher(ensemble, { oosId: 42, mass: 0.5 });
 * new DistillationTrainer({ model: student, teacherModel: teacher, … }); // oos rows: at least half the target on oos
 */
export class OosTargetTeacher implements SequenceClassificationModel {
  readonly oosId: number;
  readonly mass: number;

  constructor(
    readonly teacher: SequenceClassificationModel,
    options: OosTargetOptions,
  ) {
    const { oosId, mass } = options;
    if (!Number.isInteger(oosId) || oosId < 0 || oosId >= teacher.numLabels) throw new Error(`OosTargetTeacher: oosId must be a label id of the teacher (0..${teacher.numLabels - 1}), got ${oosId}`);
    if (!(mass > 0 && mass <= 1)) throw new Error(`OosTargetTeacher: mass must be in (0, 1], got ${mass}`);
    this.oosId = oosId;
    this.mass = mass;
  }

  get config() {
    return this.teacher.config;
  }

  get numLabels(): number {
    return this.teacher.numLabels;
  }

  get maxSequenceLength(): number | undefined {
    return this.teacher.maxSequenceLength;
  }

  call(inputs: ModelInputs & { labels?: tf.Tensor1D }, options: { training?: boolean } = {}): { logits: tf.Tensor2D } {
    const labels = inputs.labels;
    return {
      logits: tf.tidy(() => {
        const logits = this.teacher.call(inputs, options).logits;
        if (!labels) return logits;
        const onehot = tf.cast(tf.oneHot(tf.fill([logits.shape[0]], this.oosId, "int32"), this.numLabels), "float32");
        const moved = tf.log(tf.maximum(tf.add(tf.mul(tf.softmax(logits), 1 - this.mass), tf.mul(onehot, this.mass)), 1e-12)) as tf.Tensor2D;
        const isOos = tf.reshape(tf.cast(tf.equal(labels, this.oosId), "float32"), [-1, 1]);
        return tf.add(logits, tf.mul(isOos, tf.sub(moved, logits))) as tf.Tensor2D;
      }),
    };
  }

  savePretrained(): void {
    throw new Error("OosTargetTeacher: a training-time wrapper; save the teacher it wraps instead");
  }

  dispose(): void {
    // The wrapped teacher stays its owner's.
  }
}
