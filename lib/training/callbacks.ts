import type { TrainingArguments } from "./trainingArguments";
import type { TensorBatch } from "./data";
import type { Scalar, Tensor } from "@tensorflow/tfjs-core";
import type { SequenceClassifierOutput } from "../models/modeling";
import type { Variable } from "@tensorflow/tfjs-core";
import { logger } from "../utils/log";

/** One entry of the log history (HF's state.log_history). */
export interface LogEntry {
  epoch: number;
  step: number;
  [metric: string]: number;
}

/** Where training stands (HF's TrainerState); saved in checkpoints. */
export interface TrainerState {
  epoch: number;
  globalStep: number;
  maxSteps: number;
  stepsPerEpoch: number;
  logHistory: LogEntry[];
  bestMetric?: number;
  bestModelCheckpoint?: string;
}

/** Flags a callback may set to steer the loop (HF's TrainerControl). */
export interface TrainerControl {
  shouldTrainingStop: boolean;
  shouldEvaluate: boolean;
  shouldSave: boolean;
  shouldLog: boolean;
}

export interface StepContext {
  inputs: TensorBatch;
  outputs?: SequenceClassifierOutput;
}

/**
 * Events of the training loop. Callbacks observe and steer through `control`;
 * `onAfterComputeLoss` may return a new loss (distillation, regularisers), and
 * `onBeforeOptimizerStep` may edit the gradients (masks for pruning).
 */
export interface TrainerCallback {
  /** Model outputs this callback needs in `onAfterComputeLoss` (e.g. hidden states for layer-wise distillation). */
  modelOutputs?: { hiddenStates?: boolean; attentions?: boolean };
  /** Extra parameters to train with the model (e.g. projections of a distillation criterion). */
  trainableParams?(): Map<string, Variable>;
  onTrainBegin?(args: TrainingArguments, state: TrainerState, control: TrainerControl): void;
  onEpochBegin?(args: TrainingArguments, state: TrainerState, control: TrainerControl): void;
  onStepBegin?(args: TrainingArguments, state: TrainerState, control: TrainerControl): void;
  onAfterComputeLoss?(args: TrainingArguments, state: TrainerState, ctx: StepContext, loss: Scalar): Scalar | void;
  onBeforeOptimizerStep?(args: TrainingArguments, state: TrainerState, grads: Map<string, Tensor>): void;
  onStepEnd?(args: TrainingArguments, state: TrainerState, control: TrainerControl): void;
  onEvaluate?(args: TrainingArguments, state: TrainerState, control: TrainerControl, metrics: Record<string, number>): void;
  onLog?(args: TrainingArguments, state: TrainerState, control: TrainerControl, logs: Record<string, number>): void;
  onEpochEnd?(args: TrainingArguments, state: TrainerState, control: TrainerControl): void;
  onTrainEnd?(args: TrainingArguments, state: TrainerState, control: TrainerControl): void;
}

function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return "No log";
  return Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(6) : v.toExponential(3);
}

function duration(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return `${h ? `${h}:` : ""}${String(m).padStart(h ? 2 : 1, "0")}:${String(sec).padStart(2, "0")}`;
}

/**
 * Prints what the HF Trainer shows in a notebook: a progress line
 * (`[ 120/4770 01:02 < 40:10, Epoch 0.13/5]`) and, after each evaluation, a
 * row of the table `Epoch | Training Loss | Validation Loss | <metrics>`.
 *
 * @example
 * const lines: string[] = [];
 * trainer.popCallback(ProgressCallback);
 * trainer.addCallback(new ProgressCallback((line) => lines.push(line), 10)); // a progress line every 10 s, into lines
 */
export class ProgressCallback implements TrainerCallback {
  private start = 0;
  private lastPrint = 0;
  private firstStepEnd?: number;
  private firstStep = 0;
  private header?: string[];
  private lossSinceEval: number[] = [];
  constructor(private readonly write: (line: string) => void = (l) => logger.info(l), private readonly everySeconds = 30) {}

  onTrainBegin(_a: TrainingArguments, state: TrainerState): void {
    this.start = Date.now();
    this.firstStepEnd = undefined;
    this.lastPrint = this.start;
    this.write(`***** Running training *****  steps: ${state.maxSteps} (${state.stepsPerEpoch} per epoch), starting at step ${state.globalStep}`);
  }

  onLog(_a: TrainingArguments, _s: TrainerState, _c: TrainerControl, logs: Record<string, number>): void {
    if (logs.loss !== undefined) this.lossSinceEval.push(logs.loss);
  }

  onStepEnd(args: TrainingArguments, state: TrainerState): void {
    const now = Date.now();
    // The rate is measured from the end of the first step: that one pays for warm-up (kernels
    // compiled, memory allocated) and, counted in, made a first estimate hours too long.
    if (this.firstStepEnd === undefined) {
      this.firstStepEnd = now;
      this.firstStep = state.globalStep;
    }
    if (args.disableTqdm || now - this.lastPrint < this.everySeconds * 1000) return;
    this.lastPrint = now;
    const elapsed = (now - this.start) / 1000;
    const measured = state.globalStep - this.firstStep;
    const eta = measured > 0 ? duration(((now - this.firstStepEnd) / 1000 / measured) * (state.maxSteps - state.globalStep)) : "?";
    this.write(`[${String(state.globalStep).padStart(String(state.maxSteps).length)}/${state.maxSteps} ${duration(elapsed)} < ${eta}, Epoch ${state.epoch.toFixed(2)}/${args.numTrainEpochs}]`);
  }

  onEvaluate(_a: TrainingArguments, state: TrainerState, _c: TrainerControl, metrics: Record<string, number>): void {
    const extra = Object.keys(metrics).filter((k) => k.startsWith("eval") && !["evalLoss", "evalRuntime", "evalSamplesPerSecond"].includes(k));
    if (!this.header) {
      this.header = ["Epoch", "Training Loss", "Validation Loss", ...extra.map((k) => k.replace(/^eval/, "").replace(/([a-z])([A-Z])/g, "$1 $2"))];
      this.write(this.header.map((h) => h.padEnd(15)).join(" | "));
    }
    const trainLoss = this.lossSinceEval.length ? this.lossSinceEval.reduce((a, b) => a + b, 0) / this.lossSinceEval.length : undefined;
    this.lossSinceEval = [];
    const cells = [String(Math.round(state.epoch * 100) / 100), fmt(trainLoss), fmt(metrics.evalLoss), ...extra.map((k) => fmt(metrics[k]))];
    this.write(cells.map((c) => c.padEnd(15)).join(" | "));
  }

  onTrainEnd(_a: TrainingArguments, state: TrainerState): void {
    this.write(`Training finished at step ${state.globalStep} in ${duration((Date.now() - this.start) / 1000)}`);
  }
}

/**
 * HF's `DefaultFlowCallback`: after each step, decides from the arguments
 * whether the loop logs (every `loggingSteps` and at each epoch's end),
 * evaluates and saves (per `evaluationStrategy` / `saveStrategy`: every N
 * steps, or at each epoch's end and the last step). The Trainer puts it
 * first, so later callbacks see (and may override) its decisions.
 *
 * @example new Trainer({ …, callbacks: [] }).callbacks[0] instanceof DefaultFlowCallback; // true
 */
export class DefaultFlowCallback implements TrainerCallback {
  onStepEnd(args: TrainingArguments, state: TrainerState, control: TrainerControl): void {
    const step = state.globalStep;
    const epochDone = step % state.stepsPerEpoch === 0;
    const endOfEpoch = epochDone || step === state.maxSteps;
    if (step % args.loggingSteps === 0 || epochDone) control.shouldLog = true;
    if ((args.evaluationStrategy === "steps" && step % args.evalSteps === 0) || (args.evaluationStrategy === "epoch" && endOfEpoch)) control.shouldEvaluate = true;
    if ((args.saveStrategy === "steps" && step % args.saveSteps === 0) || (args.saveStrategy === "epoch" && endOfEpoch)) control.shouldSave = true;
  }
}
