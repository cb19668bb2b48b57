// Messages between the Trainer and its data-parallel gradient workers.
import type { ModelConfig } from "../../models/config";
import type { CollatorOptions, EncodedRow } from "../data";
import type { LossSpec, RowTargets } from "../losses";

export interface InitMessage {
  type: "init";
  config: ModelConfig;
  /** Parameters in the model's internal layout, by HF name. */
  weights: Record<string, Float32Array>;
  collator: CollatorOptions;
  /** The training loss as data, and the file that registers its kind (required before building it). */
  loss: LossSpec;
  lossModule: string;
}

export interface WeightsMessage {
  type: "weights";
  weights: Record<string, Float32Array>;
}

export interface GradMessage {
  type: "grads";
  rows: EncodedRow[];
  seed: number;
  /** The shard's per-row targets (e.g. teacher logits), when the loss reads any. */
  targets?: RowTargets;
}

export type ToWorker = InitMessage | WeightsMessage | GradMessage;

export type FromWorker =
  | { type: "ready"; backend: string }
  | { type: "grads"; loss: number; grads: Record<string, Float32Array> }
  | { type: "error"; message: string };
