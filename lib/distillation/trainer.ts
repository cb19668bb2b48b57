import * as tf from "@tensorflow/tfjs-core";
import { stopGradient } from "../ops";
import { PreTrainedModel, SequenceClassifierOutput } from "../models/modeling";
import { Trainer, TrainerOptions } from "../training/trainer";
import { TensorBatch, EncodedRow } from "../training/data";
import { TrainingArguments } from "../training/trainingArguments";
import { crossEntropy } from "../training/loss";
import { Random } from "../utils/random";
import { distillationLoss } from "./loss";
import type { ShardDistillation } from "../training/parallel/protocol";

/** TrainingArguments plus the two distillation knobs (defaults as the book). */
export interface DistillationTrainingArguments extends TrainingArguments {
  /** Weight of the hard-label cross-entropy; 1 − alpha goes to the soft targets. */
  alpha: number;
  /** Softens both distributions; the KL term is scaled by T². */
  temperature: number;
}

export function resolveDistillationArgs(args: Partial<DistillationTrainingArguments>): { alpha: number; temperature: number } {
  const alpha = args.alpha ?? 0.5;
  const temperature = args.temperature ?? 2.0;
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`DistillationTrainingArguments.alpha must be in [0, 1], got ${alpha}`);
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new Error(`DistillationTrainingArguments.temperature must be a positive number, got ${temperature}`);
  return { alpha, temperature };
}

export interface DistillationTrainerOptions extends Omit<TrainerOptions, "args"> {
  args: Partial<DistillationTrainingArguments> & { outputDir: string };
  teacherModel: PreTrainedModel;
  /**
   * Reuse teacher logits per training example instead of running the teacher
   * every step. Identical loss (tested), but only valid when the inputs are
   * not augmented, so it is refused together with tokenMaskProb > 0.
   */
  cacheTeacherLogits?: boolean;
}

/**
 * The chapter's DistillationTrainer: the Trainer with a teacher, overriding
 * only `computeLoss` with α·CE + (1−α)·T²·KL.
 *
 * @example
 * const trainer = new DistillationTrainer({ modelInit: studentInit, teacherModel: teacher, args: { outputDir, alpha: 0.5, temperature: 2 }, … });
 */
export class DistillationTrainer extends Trainer {
  readonly teacherModel: PreTrainedModel;
  readonly alpha: number;
  readonly temperature: number;
  private readonly cache?: Map<string, Float32Array>;

  constructor(options: DistillationTrainerOptions) {
    const { alpha, temperature } = resolveDistillationArgs(options.args);
    const { alpha: _a, temperature: _t, ...args } = options.args;
    super({ ...options, args });
    if (!options.teacherModel) throw new Error("DistillationTrainer: teacherModel is required");
    this.teacherModel = options.teacherModel;
    this.alpha = alpha;
    this.temperature = temperature;
    const studentLabels = this.model?.numLabels;
    if (studentLabels !== undefined && studentLabels !== options.teacherModel.numLabels) {
      throw new Error(`DistillationTrainer: the student has ${studentLabels} labels, the teacher ${options.teacherModel.numLabels}`);
    }
    if (options.cacheTeacherLogits) {
      if ((options.tokenMaskProb ?? 0) > 0) throw new Error("DistillationTrainer: cacheTeacherLogits needs un-augmented inputs (set tokenMaskProb to 0)");
      this.cache = new Map();
    }
  }

  /**
   * Workers can share the work when the loss needs no teacher pass of their
   * own: the student alone (alpha = 1), or cached teacher logits sent per row.
   */
  protected override parallelLoss(): { distillation?: ShardDistillation } | undefined {
    if (this.computeLoss !== DistillationTrainer.prototype.computeLoss) return undefined; // a subclass's own loss
    if (this.alpha === 1) return {};
    return this.cache ? { distillation: { alpha: this.alpha, temperature: this.temperature } } : undefined;
  }

  /** Cached teacher logits for the rows of a shard (computed here for rows not seen yet). */
  protected override shardTeacherLogits(rows: EncodedRow[]): Float32Array[] {
    if (!this.cache) throw new Error("DistillationTrainer: shardTeacherLogits needs cacheTeacherLogits");
    return this.cachedLogits(
      rows.map((r) => r.input_ids.join(",")),
      (missing) => this.runTeacher(this.collator.call(missing.map((i) => rows[i]))),
    );
  }

  /** Teacher logits for a batch, without gradients (from the cache when enabled). */
  teacherLogits(inputs: TensorBatch): tf.Tensor2D {
    if (!this.cache) return tf.tidy(() => stopGradient(this.teacherModel.call(inputs).logits) as tf.Tensor2D);
    const ids = inputs.input_ids.arraySync();
    const mask = inputs.attention_mask.arraySync();
    const keys = ids.map((row, i) => row.filter((_, j) => mask[i][j] === 1).join(","));
    const logits = this.cachedLogits(keys, (missing) => {
      const all = this.runTeacher(inputs, false);
      return missing.map((i) => all[i]);
    });
    return tf.tensor2d(logits.map((r) => [...r]));
  }

  /** Teacher logits of a collated batch as rows (the batch is disposed unless `dispose` is false). */
  private runTeacher(inputs: TensorBatch, dispose = true): number[][] {
    const logits = tf.tidy(() => this.teacherModel.call(inputs).logits);
    const rows = logits.arraySync();
    tf.dispose([logits, ...(dispose ? Object.values(inputs) : [])]);
    return rows;
  }

  /** Rows of the cache by key; `compute` gets the indices of the keys not cached yet and returns their logits. */
  private cachedLogits(keys: string[], compute: (missing: number[]) => number[][]): Float32Array[] {
    const missing = keys.map((k, i) => (this.cache!.has(k) ? -1 : i)).filter((i) => i >= 0);
    if (missing.length) compute(missing).forEach((row, j) => this.cache!.set(keys[missing[j]], Float32Array.from(row)));
    return keys.map((k) => this.cache!.get(k)!);
  }

  override computeLoss(model: PreTrainedModel, inputs: TensorBatch, returnOutputs: true, rng?: Random): { loss: tf.Scalar; outputs: SequenceClassifierOutput };
  override computeLoss(model: PreTrainedModel, inputs: TensorBatch, returnOutputs?: false, rng?: Random): tf.Scalar;
  override computeLoss(model: PreTrainedModel, inputs: TensorBatch, returnOutputs = false, rng?: Random): tf.Scalar | { loss: tf.Scalar; outputs: SequenceClassifierOutput } {
    const outputs = model.call(inputs, { training: rng !== undefined, rng });
    const ce = crossEntropy(outputs.logits, inputs.labels, rng ? this.args.labelSmoothingFactor : 0);
    let loss = ce;
    if (this.alpha < 1) {
      const teacher = this.teacherLogits(inputs);
      loss = distillationLoss(ce, outputs.logits, teacher, this.alpha, this.temperature);
      teacher.dispose();
    }
    return returnOutputs ? { loss, outputs } : loss;
  }
}

export type { EncodedRow };
