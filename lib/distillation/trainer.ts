import * as tf from "@tensorflow/tfjs-core";
import { PreTrainedModel } from "../models/modeling";
import type { SequenceClassificationModel } from "../models/sequenceClassification";
import { Trainer, TrainerOptions } from "../training/trainer";
import { TensorBatch, EncodedRow } from "../training/data";
import { TrainingArguments } from "../training/trainingArguments";
import type { LossSpec, RowTargets } from "../training/losses";
import "./loss"; // registers the "kd" loss this trainer builds
import type { DistillationLossSpec } from "./loss";

/** TrainingArguments plus the two distillation knobs (defaults as the book). */
export interface DistillationTrainingArguments extends TrainingArguments {
  /** Weight of the hard-label cross-entropy; 1 − alpha goes to the soft targets. */
  alpha: number;
  /** Softens both distributions; the KL term is scaled by T². */
  temperature: number;
}

/**
 * The distillation knobs of `args` with the book's defaults (alpha 0.5, temperature 2), validated.
 *
 * @example
 * resolveDistillationArgs({ alpha: 0.3 }); // { alpha: 0.3, temperature: 2 }
 * resolveDistillationArgs({ alpha: 1.5 }); // Error: DistillationTrainingArguments.alpha must be in [0, 1], got 1.5
 */
export function resolveDistillationArgs(args: Partial<DistillationTrainingArguments>): { alpha: number; temperature: number } {
  const alpha = args.alpha ?? 0.5;
  const temperature = args.temperature ?? 2.0;
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`DistillationTrainingArguments.alpha must be in [0, 1], got ${alpha}`);
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new Error(`DistillationTrainingArguments.temperature must be a positive number, got ${temperature}`);
  return { alpha, temperature };
}

export interface DistillationTrainerOptions extends Omit<TrainerOptions, "args"> {
  args: Partial<DistillationTrainingArguments> & { outputDir: string };
  /** Any sequence classifier: a transformer, or an ensemble (EnsembleForSequenceClassification) of models. */
  teacherModel: SequenceClassificationModel;
  /**
   * Reuse teacher logits per training example instead of running the teacher
   * every step. Identical loss (tested), but only valid when the inputs are
   * not augmented, so it is refused together with tokenMaskProb > 0.
   */
  cacheTeacherLogits?: boolean;
}

/**
 * The chapter's DistillationTrainer: the Trainer with a teacher and the loss
 * α·CE + (1−α)·T²·KL. Where the book overrides `compute_loss`, this class
 * describes its loss as data (`lossSpec()`) and supplies the teacher's logits
 * per row (`rowTargets()`), so data-parallel workers compute the same loss.
 *
 * @example
 * const trainer = new DistillationTrainer({ modelInit: studentInit, teacherModel: teacher, args: { outputDir, alpha: 0.5, temperature: 2 }, … });
 */
export class DistillationTrainer extends Trainer {
  readonly teacherModel: SequenceClassificationModel;
  alpha: number;
  temperature: number;
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

  /** TrainingArguments fields plus alpha and temperature (the book's search space). */
  override applyHyperparameters(hp: Record<string, unknown>): () => void {
    const { alpha, temperature, ...rest } = hp;
    const prev = { alpha: this.alpha, temperature: this.temperature };
    const next = resolveDistillationArgs({ alpha: (alpha as number | undefined) ?? this.alpha, temperature: (temperature as number | undefined) ?? this.temperature });
    if (next.alpha < 1 && !this.teacherModel) throw new Error("DistillationTrainer: alpha < 1 needs the teacher");
    const restoreArgs = super.applyHyperparameters(rest);
    Object.assign(this, next);
    return () => {
      restoreArgs();
      Object.assign(this, prev);
    };
  }

  /** α·CE + (1−α)·T²·KL against the teacher's logits (`{ kind: "kd" }`), or plain CE for the student alone (α = 1). */
  override lossSpec(): LossSpec {
    if (this.alpha === 1) return super.lossSpec();
    return { kind: "kd", alpha: this.alpha, temperature: this.temperature, labelSmoothing: this.args.labelSmoothingFactor } satisfies DistillationLossSpec;
  }

  /**
   * Workers can share the work when the loss needs no teacher pass of their
   * own: the student alone (alpha = 1), or cached teacher logits sent per row.
   */
  protected override canUseWorkers(): boolean {
    return this.alpha === 1 || this.cache !== undefined;
  }

  /**
   * The teacher's logits per row: of the collated (possibly masked) batch when
   * this thread computes the step, from the cache for a worker's shard.
   */
  protected override rowTargets(rows: readonly EncodedRow[], inputs?: TensorBatch): RowTargets {
    if (this.alpha === 1) return {};
    if (inputs) return { teacherLogits: this.teacherLogitRows(inputs) };
    if (!this.cache) throw new Error("DistillationTrainer: teacher logits of a shard need cacheTeacherLogits");
    return {
      teacherLogits: this.cachedLogits(
        rows.map((r) => r.input_ids.join(",")),
        (missing) => this.runTeacher(this.collator.call(missing.map((i) => rows[i]))),
      ),
    };
  }

  /** Teacher logits for a collated batch, one row per example, without gradients (from the cache when enabled). */
  private teacherLogitRows(inputs: TensorBatch): Float32Array[] {
    if (!this.cache) return this.runTeacher(inputs, false).map((r) => Float32Array.from(r));
    const ids = inputs.input_ids.arraySync();
    const mask = inputs.attention_mask.arraySync();
    const keys = ids.map((row, i) => row.filter((_, j) => mask[i][j] === 1).join(","));
    return this.cachedLogits(keys, (missing) => {
      const all = this.runTeacher(inputs, false);
      return missing.map((i) => all[i]);
    });
  }

  /** Teacher logits for a batch as a tensor [batch, labels] (from the cache when enabled). */
  teacherLogits(inputs: TensorBatch): tf.Tensor2D {
    return tf.tensor2d(this.teacherLogitRows(inputs).map((r) => [...r]));
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
}

export type { EncodedRow };
