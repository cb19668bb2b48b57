// Messages between the Trainer and its data-parallel gradient workers.
import type { ModelConfig } from "../../models/config";
import type { CollatorOptions, EncodedRow } from "../data";
import type { LossSpec, RowTargets } from "../losses";

export interface InitMessage {
  type: "init";
  config: ModelConfig;
  /** Every parameter (internal layout, as the forward pass sees it), in one buffer the Trainer rewrites after each step. */
  shared: Float32Array;
  /** Parameter name → [offset, length] in `shared`. */
  layout: Record<string, [number, number]>;
  collator: CollatorOptions;
  /** The training loss as data, and the file that registers its kind (required before building it). */
  loss: LossSpec;
  lossModule: string;
}

/** The shared buffer holds new weights: load them. */
export interface WeightsMessage {
  type: "weights";
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
