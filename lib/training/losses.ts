// Training losses as data. A loss is described by a serialisable spec
// (`{ kind: "ce", labelSmoothing: 0.1 }`, `{ kind: "kd", alpha, temperature }`)
// and built by a registry that the loss modules fill. Data-parallel workers
// receive the spec and the files that register it, and rebuild the same
// function, so lib/training never needs to know which losses exist.
import type * as tf from "@tensorflow/tfjs-core";
import type { SequenceClassifierOutput } from "../models/modeling";
import type { TensorBatch } from "./data";

/** A training loss as plain data: its registered kind plus options. */
export interface LossSpec {
  readonly kind: string;
  readonly [option: string]: unknown;
}

/**
 * Per-row extra targets a loss needs besides the labels, one Float32Array per
 * row of the batch (e.g. `teacherLogits`). Row-aligned, so a batch's targets
 * split into shards with its rows.
 */
export type RowTargets = Record<string, Float32Array[]>;

/** What a loss function sees for one batch. */
export interface LossInputs {
  outputs: SequenceClassifierOutput;
  inputs: TensorBatch;
  /** RowTargets as [batch, …] tensors, by name. */
  targets: Record<string, tf.Tensor>;
  /** A training step (label smoothing applies) or an evaluation. */
  training: boolean;
}

export type LossFunction = (x: LossInputs) => tf.Scalar;

interface LossEntry {
  build: (spec: LossSpec) => LossFunction;
  /** The file that registers this kind (a worker requires it before building). */
  module: string;
  /** Names of the RowTargets the loss reads. */
  targets: readonly string[];
}

const REGISTRY = new Map<string, LossEntry>();

/**
 * Registers a loss kind. Call it at the top level of the module that defines
 * the loss, passing that module's `__filename`, so a worker thread can load it.
 *
 * @example
 * registerLoss("ce", (spec) => ({ outputs, inputs, training }) => crossEntropy(outputs.logits, inputs.labels, training ? Number(spec.labelSmoothing ?? 0) : 0), __filename);
 */
export function registerLoss(kind: string, build: (spec: LossSpec) => LossFunction, module: string, options: { targets?: readonly string[] } = {}): void {
  const known = REGISTRY.get(kind);
  if (known && known.module !== module) throw new Error(`registerLoss: loss kind "${kind}" is already registered by ${known.module}`);
  REGISTRY.set(kind, { build, module, targets: options.targets ?? [] });
}

function entry(spec: LossSpec): LossEntry {
  if (!spec || typeof spec.kind !== "string") throw new Error(`buildLoss: a loss spec needs a string "kind", got ${JSON.stringify(spec)}`);
  const e = REGISTRY.get(spec.kind);
  if (!e) throw new Error(`buildLoss: unknown loss kind "${spec.kind}" (registered: ${[...REGISTRY.keys()].join(", ") || "none"}); import the module that registers it`);
  return e;
}

/**
 * The loss function a spec describes.
 *
 * @example
 * const lossFn = buildLoss({ kind: "ce", labelSmoothing: 0.1 });
 * const loss = lossFn({ outputs, inputs, targets: {}, training: true }); // tf.Scalar
 */
export function buildLoss(spec: LossSpec): LossFunction {
  return entry(spec).build(spec);
}

/**
 * The file that registers a spec's kind, for workers to require.
 *
 * @example
 * lossModule({ kind: "ce" }); // "/…/lib/training/loss.ts"
 */
export function lossModule(spec: LossSpec): string {
  return entry(spec).module;
}

/**
 * The RowTargets a spec's loss reads (e.g. ["teacherLogits"]).
 *
 * @example
 * lossTargets({ kind: "kd", alpha: 0.5, temperature: 2 }); // ["teacherLogits"]
 * lossTargets({ kind: "ce" }); // []
 */
export function lossTargets(spec: LossSpec): readonly string[] {
  return entry(spec).targets;
}

/**
 * Registered kinds, for messages and tests.
 *
 * @example
 * registeredLosses(); // ["ce", "kd"] once lib/training and lib/distillation are loaded
 */
export function registeredLosses(): string[] {
  return [...REGISTRY.keys()];
}
