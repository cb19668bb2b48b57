// TrainingArguments: one flat config with a default for every field, as in
// Hugging Face's training_args.py; resolveTrainingArguments() fills defaults
// and rejects bad values and unknown fields, naming the field.
import { checkOptionKeys } from "../utils/options";

export type IntervalStrategy = "no" | "epoch" | "steps";

export interface TrainingArguments {
  // --- Output ---
  /** Where checkpoints (checkpoint-<step>/) and the final model go. */
  outputDir: string;
  // --- Schedule ---
  /** Number of passes over the training set. */
  numTrainEpochs: number;
  /** Peak learning rate of AdamW. */
  learningRate: number;
  /** Fraction of the steps spent warming the learning rate up linearly from 0. */
  warmupRatio: number;
  /** Decoupled weight decay (not applied to biases and LayerNorm weights). */
  weightDecay: number;
  adamBeta1: number;
  adamBeta2: number;
  adamEpsilon: number;
  /** Clip the global gradient norm to this (0 disables). */
  maxGradNorm: number;
  /** Label smoothing of the cross-entropy (0 = off). */
  labelSmoothingFactor: number;
  // --- Batches ---
  perDeviceTrainBatchSize: number;
  perDeviceEvalBatchSize: number;
  /** Batch rows of similar length together to cut padding (HF's group_by_length). */
  groupByLength: boolean;
  /** Truncate inputs to this many tokens ([CLS] and [SEP] included). */
  maxLength: number;
  // --- Evaluation, logging, saving ---
  evaluationStrategy: IntervalStrategy;
  evalSteps: number;
  /** Log the running training loss every N steps. */
  loggingSteps: number;
  saveStrategy: IntervalStrategy;
  saveSteps: number;
  /** Keep at most this many checkpoints (the best is never deleted); 0 keeps all. */
  saveTotalLimit: number;
  loadBestModelAtEnd: boolean;
  /** "loss", "accuracy", or any key computeMetrics returns (with or without the "eval" prefix). */
  metricForBestModel: string;
  greaterIsBetter?: boolean;
  /** No progress line (the epoch table is still printed). */
  disableTqdm: boolean;
  /** Seed for initialisation, shuffling and dropout. */
  seed: number;
  // --- Hardware ---
  /**
   * Split each batch across this many threads (this one plus worker threads)
   * and average the gradients. The wasm backend runs one thread per process,
   * so 2 uses both cores of a 2-core machine. Only for the default loss.
   */
  dataParallelWorkers: number;
}

/**
 * The default of every TrainingArguments field except outputDir (what resolveTrainingArguments fills in).
 *
 * @example
 * TRAINING_ARGUMENT_DEFAULTS.learningRate; // 5e-5
 * TRAINING_ARGUMENT_DEFAULTS.perDeviceTrainBatchSize; // 8
 */
export const TRAINING_ARGUMENT_DEFAULTS: Omit<TrainingArguments, "outputDir"> = {
  numTrainEpochs: 3,
  learningRate: 5e-5,
  warmupRatio: 0,
  weightDecay: 0,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-8,
  maxGradNorm: 1,
  labelSmoothingFactor: 0,
  perDeviceTrainBatchSize: 8,
  perDeviceEvalBatchSize: 8,
  groupByLength: true,
  maxLength: 64,
  evaluationStrategy: "epoch",
  evalSteps: 500,
  loggingSteps: 50,
  saveStrategy: "no",
  saveSteps: 500,
  saveTotalLimit: 2,
  loadBestModelAtEnd: false,
  metricForBestModel: "loss",
  disableTqdm: false,
  seed: 42,
  dataParallelWorkers: 1,
};

/** A value as the error shows it: JSON, except numbers JSON cannot write (NaN, Infinity), which it would print as null. */
function show(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return String(value);
  return JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v));
}

function fail(field: string, value: unknown, want: string): never {
  throw new Error(`TrainingArguments.${field} must be ${want}, got ${show(value)}`);
}

/**
 * Every field TrainingArguments has (anything else is a misspelling or another library's name).
 *
 * @example
 * TRAINING_ARGUMENT_NAMES.includes("learningRate"); // true
 * TRAINING_ARGUMENT_NAMES.includes("learning_rate"); // false (HF's spelling)
 */
export const TRAINING_ARGUMENT_NAMES: readonly string[] = Object.freeze(["outputDir", ...Object.keys(TRAINING_ARGUMENT_DEFAULTS), "greaterIsBetter"]);

/**
 * Fills defaults and validates; the result is frozen. Unknown fields are an
 * error with a did-you-mean (`learning_rate` → `learningRate`), and an
 * undefined value means "the default".
 *
 * @example
 * resolveTrainingArguments({ outputDir: "runs/x", learningRate: 1e-3 }).numTrainEpochs; // 3
 */
export function resolveTrainingArguments(args: Partial<TrainingArguments> & { outputDir: string }): Readonly<TrainingArguments> {
  checkOptionKeys(args, TRAINING_ARGUMENT_NAMES, "TrainingArguments", "field");
  const given = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
  const a: TrainingArguments = { ...TRAINING_ARGUMENT_DEFAULTS, ...given } as TrainingArguments;
  if (typeof a.outputDir !== "string" || !a.outputDir) fail("outputDir", a.outputDir, "a non-empty path");
  const positive = ["numTrainEpochs", "learningRate", "adamEpsilon"] as const;
  for (const k of positive) if (!(typeof a[k] === "number" && a[k] > 0 && Number.isFinite(a[k]))) fail(k, a[k], "a positive number");
  const posInts = ["perDeviceTrainBatchSize", "perDeviceEvalBatchSize", "loggingSteps", "evalSteps", "saveSteps", "maxLength", "dataParallelWorkers"] as const;
  for (const k of posInts) if (!(Number.isInteger(a[k]) && a[k] > 0)) fail(k, a[k], "a positive integer");
  if (a.maxLength < 3) fail("maxLength", a.maxLength, "at least 3 ([CLS], one token, [SEP])");
  for (const k of ["warmupRatio", "labelSmoothingFactor", "adamBeta1", "adamBeta2"] as const) {
    if (!(typeof a[k] === "number" && a[k] >= 0 && a[k] < 1)) fail(k, a[k], "a number in [0, 1)");
  }
  if (!(typeof a.weightDecay === "number" && a.weightDecay >= 0 && Number.isFinite(a.weightDecay))) fail("weightDecay", a.weightDecay, "a finite number >= 0");
  if (!(typeof a.maxGradNorm === "number" && a.maxGradNorm >= 0 && Number.isFinite(a.maxGradNorm))) fail("maxGradNorm", a.maxGradNorm, "a finite number >= 0 (0 disables clipping)");
  if (!(Number.isInteger(a.saveTotalLimit) && a.saveTotalLimit >= 0)) fail("saveTotalLimit", a.saveTotalLimit, "an integer >= 0");
  if (!Number.isFinite(a.seed)) fail("seed", a.seed, "a finite number");
  for (const k of ["evaluationStrategy", "saveStrategy"] as const) {
    if (!["no", "epoch", "steps"].includes(a[k])) fail(k, a[k], '"no", "epoch" or "steps"');
  }
  if (a.loadBestModelAtEnd) {
    if (a.evaluationStrategy === "no") fail("evaluationStrategy", a.evaluationStrategy, '"epoch" or "steps" when loadBestModelAtEnd is set (the best model is chosen on evaluation)');
    if (a.saveStrategy !== a.evaluationStrategy) fail("saveStrategy", a.saveStrategy, `equal to evaluationStrategy ("${a.evaluationStrategy}") when loadBestModelAtEnd is set`);
  }
  if (typeof a.metricForBestModel !== "string" || !/^[A-Za-z][\w.\-]*$/.test(a.metricForBestModel)) fail("metricForBestModel", a.metricForBestModel, 'a metric name such as "loss" or "accuracy" (a key computeMetrics returns, with or without the "eval" prefix)');
  const metric = a.metricForBestModel.replace(/^eval_?/i, "");
  if (!metric) fail("metricForBestModel", a.metricForBestModel, 'a metric name after the "eval" prefix');
  if (a.greaterIsBetter !== undefined && typeof a.greaterIsBetter !== "boolean") fail("greaterIsBetter", a.greaterIsBetter, "true, false or undefined (then: false for a loss, true otherwise)");
  for (const k of ["groupByLength", "loadBestModelAtEnd", "disableTqdm"] as const) if (typeof a[k] !== "boolean") fail(k, a[k], "true or false");
  a.greaterIsBetter ??= !/loss$/i.test(metric);
  return Object.freeze(a);
}
