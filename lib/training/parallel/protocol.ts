// Messages between the Trainer and its data-parallel gradient workers.
import type { ModelConfig } from "../../models/config";
import type { EncodedRow } from "../data";
import type { CollatorOptions } from "../data";

/** The distillation term a shard's loss adds, from per-row teacher logits sent with the shard. */
export interface ShardDistillation {
  alpha: number;
  temperature: number;
}

export interface InitMessage {
  type: "init";
  config: ModelConfig;
  /** Parameters in the model's internal layout, by HF name. */
  weights: Record<string, Float32Array>;
  collator: CollatorOptions;
  labelSmoothing: number;
  distillation?: ShardDistillation;
}

export interface WeightsMessage {
  type: "weights";
  weights: Record<string, Float32Array>;
}

export interface GradMessage {
  type: "grads";
  rows: EncodedRow[];
  seed: number;
  /** One row of teacher logits per shard row, when the loss distils. */
  teacherLogits?: Float32Array[];
}

export type ToWorker = InitMessage | WeightsMessage | GradMessage;

export type FromWorker =
  | { type: "ready"; backend: string }
  | { type: "grads"; loss: number; grads: Record<string, Float32Array> }
  | { type: "error"; message: string };
