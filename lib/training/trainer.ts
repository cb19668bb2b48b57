import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { Dataset } from "../data/dataset";
import { PreTrainedModel } from "../models/modeling";
import { BertTokenizer } from "../tokenizers";
import { AdamW, clipByGlobalNorm, linearScheduleWithWarmup } from "./optimizer";
import { DataCollator, DataCollatorWithPadding, EncodedRow, TensorBatch, batchRows, epochBatches, inferenceBatches } from "./data";
import { DefaultFlowCallback, LogEntry, ProgressCallback, TrainerCallback, TrainerControl, TrainerState } from "./callbacks";
import { TrainingArguments, resolveTrainingArguments } from "./trainingArguments";
import { crossEntropy } from "./loss";
import { LossFunction, LossSpec, RowTargets, buildLoss } from "./losses";
import { ComputeLossContext, ComputeLossOutput, lossAndGradients } from "./step";
import { evaluateMaskedLm } from "./maskedLmEvaluation";
import { latestCheckpoint, loadCheckpoint, rotateCheckpoints, saveCheckpoint } from "./checkpoint";
import { argmax } from "../evaluation";
import { GradientWorkerPool } from "./parallel/pool";
import { parallelStep } from "./parallel/merge";
import { logger } from "../utils/log";
import { BestRun, HyperparameterSearchOptions, runHyperparameterSearch } from "./hyperparameterSearch";
import type { Study } from "../hpo/study";
export { crossEntropy } from "./loss";
export { listCheckpoints, latestCheckpoint } from "./checkpoint";
export type { ComputeLossContext, ComputeLossOutput } from "./step";

/** What `computeMetrics` receives: logits rows and the true label ids. */
export interface EvalPrediction {
  predictions: Float32Array[];
  labelIds: number[];
}

export type ComputeMetrics = (pred: EvalPrediction) => Record<string, number>;

/**
 * Accuracy of argmax predictions, the chapter's metric.
 *
 * @example
 * computeAccuracy({ predictions: [Float32Array.of(0.1, 0.9), Float32Array.of(0.8, 0.2)], labelIds: [1, 1] }); // { accuracy: 0.5 }
 */
export function computeAccuracy(pred: EvalPrediction): { accuracy: number } {
  let correct = 0;
  pred.predictions.forEach((row, i) => {
    if (argmax(row) === pred.labelIds[i]) correct++;
  });
  return { accuracy: pred.labelIds.length ? correct / pred.labelIds.length : 0 };
}

export interface TrainOutput {
  globalStep: number;
  /** Mean training loss over all steps run in this call. */
  trainingLoss: number;
  metrics: { trainRuntime: number; trainSamplesPerSecond: number; trainStepsPerSecond: number; trainLoss: number; epoch: number };
}

export interface PredictionOutput {
  predictions: Float32Array[];
  labelIds: number[];
  metrics: Record<string, number>;
}

export interface TrainerOptions {
  args: Partial<TrainingArguments> & { outputDir: string };
  /** The model to train, or… */
  model?: PreTrainedModel;
  /** …a factory called at train() time (HF's model_init; used by hyperparameter search). */
  modelInit?: () => PreTrainedModel;
  trainDataset?: Dataset<EncodedRow>;
  evalDataset?: Dataset<EncodedRow>;
  tokenizer: BertTokenizer;
  computeMetrics?: ComputeMetrics;
  callbacks?: TrainerCallback[];
  /** Data augmentation: probability of replacing a token by [MASK] in training batches. */
  tokenMaskProb?: number;
  /** How rows become batches (HF's data_collator). Default: DataCollatorWithPadding with the tokenizer's pad id and tokenMaskProb. */
  dataCollator?: DataCollator;
}

/** What one call of train() sets up for its loop (the state that changes per step is `trainer.state`). */
interface TrainingLoop {
  model: PreTrainedModel;
  train: Dataset<EncodedRow>;
  /** Data-parallel workers, when they run. */
  pool?: GradientWorkerPool;
  /** Learning rate by global step. */
  schedule: (step: number) => number;
  /** The variables trained (the model's and the callbacks' trainable ones). */
  vars: tf.Variable[];
  /** tf variable name -> parameter name. */
  paramOf: Map<string, string>;
  /** Token count of each training row (after truncation), for batching. */
  lengths: number[];
}

/**
 * Raised when the loss stops being a finite number.
 *
 * @example
 * await trainer.train().catch((err) => {
 *   if (err instanceof NonFiniteLossError) console.log(err.message); // "Training stopped: the loss is NaN at step … Lower the learning rate …"
 * });
 */
export class NonFiniteLossError extends Error {}

/**
 * A training loop shaped like Hugging Face's Trainer: AdamW with a linear
 * schedule, evaluation and checkpoints per epoch or per N steps, resume,
 * best-model selection, and an epoch table. Subclass and override
 * `computeLoss` (as DistillationTrainer does); callbacks see every event.
 *
 * @example
 * const trainer = new Trainer({ model, args: { outputDir: "runs/x", numTrainEpochs: 3 }, trainDataset, evalDataset, tokenizer, computeMetrics: computeAccuracy });
 * const out = await trainer.train(); // prints the epoch table
 */
export class Trainer {
  /** The arguments (HF's TrainingArguments); a hyperparameter search swaps them per trial. */
  args: Readonly<TrainingArguments>;
  model?: PreTrainedModel;
  readonly tokenizer: BertTokenizer;
  readonly trainDataset?: Dataset<EncodedRow>;
  readonly evalDataset?: Dataset<EncodedRow>;
  readonly computeMetrics?: ComputeMetrics;
  private readonly callbackList: TrainerCallback[];
  readonly collator: DataCollator;
  state: TrainerState;
  protected optimizer?: AdamW;
  private readonly modelInit?: () => PreTrainedModel;
  private readonly tokenMaskProb: number;

  constructor(options: TrainerOptions) {
    this.args = resolveTrainingArguments(options.args);
    if (!options.model && !options.modelInit) throw new Error("Trainer: pass either model or modelInit");
    if (!options.tokenizer) throw new Error("Trainer: a tokenizer is required (it pads the batches)");
    this.model = options.model;
    this.modelInit = options.modelInit;
    this.tokenizer = options.tokenizer;
    this.trainDataset = options.trainDataset;
    this.evalDataset = options.evalDataset;
    this.computeMetrics = options.computeMetrics;
    this.callbackList = [new DefaultFlowCallback(), new ProgressCallback(), ...(options.callbacks ?? [])];
    this.tokenMaskProb = options.tokenMaskProb ?? 0;
    const t = this.tokenizer;
    if (options.dataCollator && this.tokenMaskProb > 0) throw new Error("Trainer: tokenMaskProb applies to the default collator; pass it to your dataCollator instead");
    this.collator =
      options.dataCollator ??
      new DataCollatorWithPadding({
        padTokenId: t.padTokenId,
        maskTokenId: t.maskTokenId,
        tokenMaskProb: this.tokenMaskProb,
        specialIds: [t.padTokenId, t.clsTokenId, t.sepTokenId],
      });
    this.state = { epoch: 0, globalStep: 0, maxSteps: 0, stepsPerEpoch: 0, logHistory: [] };
    this.checkBestModelMetric();
    for (const ds of [this.trainDataset, this.evalDataset]) if (ds) this.checkDataset(ds);
  }

  /** metricForBestModel must be one that evaluation will compute: checked here, not at the first save. */
  private checkBestModelMetric(): void {
    const a = this.args;
    const metric = a.metricForBestModel.replace(/^eval_?/i, "");
    if (a.loadBestModelAtEnd && !this.evalDataset) throw new Error("Trainer: loadBestModelAtEnd needs an evalDataset (the best model is chosen on it)");
    const builtIn = this.collator.usesLabels ? ["loss"] : ["loss", "accuracy"];
    const used = a.loadBestModelAtEnd || a.saveStrategy !== "no";
    if (used && !this.computeMetrics && !builtIn.some((m) => m.toLowerCase() === metric.toLowerCase())) {
      throw new Error(`Trainer: TrainingArguments.metricForBestModel is "${a.metricForBestModel}" but without computeMetrics evaluation computes only ${builtIn.join(" and ")}; pass computeMetrics (e.g. computeAccuracy) or use "loss"`);
    }
  }

  private checkDataset(ds: Dataset<EncodedRow>): void {
    const n = this.model?.numLabels;
    const vocab = this.model?.spec.vocabSize;
    ds.rows.forEach((r, i) => {
      if (!Array.isArray(r.input_ids) || r.input_ids.length === 0) throw new Error(`Trainer: row ${i} has no input_ids (tokenize the dataset first, e.g. tokenizeDataset())`);
      if (vocab !== undefined) {
        const bad = r.input_ids.find((id) => !(Number.isInteger(id) && id >= 0 && id < vocab));
        if (bad !== undefined) throw new Error(`Trainer: row ${i} has token id ${bad}, outside the model's vocabulary (vocab_size ${vocab}); tokenize with the model's own tokenizer`);
      }
      if (this.collator.usesLabels && (!Number.isInteger(r.label) || r.label < 0 || (n !== undefined && r.label >= n))) throw new Error(`Trainer: row ${i} has label ${r.label}, outside the model's ${n} labels`);
    });
  }

  /**
   * The training loss as data (the default: cross-entropy with the
   * arguments' label smoothing). Workers rebuild it from this spec, so a
   * subclass that changes the loss through `lossSpec()` (and `rowTargets()`
   * for the extra targets it reads) still trains on every core.
   */
  lossSpec(): LossSpec {
    return { kind: "ce", labelSmoothing: this.args.labelSmoothingFactor };
  }

  /**
   * Per-row targets the loss reads besides the labels (none by default; the
   * DistillationTrainer's teacher logits). `inputs` is the collated batch when
   * this thread computes the step, absent for a shard sent to a worker.
   */
  protected rowTargets(_rows: readonly EncodedRow[], _inputs?: TensorBatch): RowTargets {
    return {};
  }

  /** Whether data-parallel workers can compute this trainer's loss (they rebuild `lossSpec()`). */
  protected canUseWorkers(): boolean {
    return true;
  }

  private lossFn?: { spec: string; fn: LossFunction };

  /** The function `lossSpec()` describes (built once per spec). */
  protected lossFunction(): LossFunction {
    const spec = this.lossSpec();
    const key = JSON.stringify(spec);
    if (this.lossFn?.spec !== key) this.lossFn = { spec: key, fn: buildLoss(spec) };
    return this.lossFn.fn;
  }

  /**
   * The loss for one batch: the model's forward pass and the loss function.
   * Subclass and override for a loss that is not a registered spec (it then
   * trains in one thread); `ctx` carries the model, the collated inputs, the
   * batch's targets and whether this is a training step.
   */
  computeLoss(ctx: ComputeLossContext): ComputeLossOutput {
    const outputs = ctx.model.call(ctx.inputs, { training: ctx.training, rng: ctx.rng, ...this.requestedOutputs() });
    return { loss: this.lossFunction()({ outputs, inputs: ctx.inputs, targets: ctx.targets, training: ctx.training }), outputs };
  }

  /** Whether the model is re-created at every train() (modelInit), as a hyperparameter search needs. */
  hasModelInit(): boolean {
    return this.modelInit !== undefined;
  }

  /**
   * Sets hyperparameters for the next train() (HF sets them on
   * `trainer.args`): TrainingArguments fields by name; subclasses add theirs
   * (the DistillationTrainer's alpha and temperature). Unknown names are an
   * error. Returns a function that restores the previous values.
   */
  applyHyperparameters(hp: Record<string, unknown>): () => void {
    const prev = this.args;
    const known = new Set(Object.keys(prev));
    const unknown = Object.keys(hp).filter((k) => !known.has(k));
    if (unknown.length) throw new Error(`Trainer.applyHyperparameters: ${unknown.map((k) => `"${k}"`).join(", ")} ${unknown.length > 1 ? "are not TrainingArguments fields" : "is not a TrainingArguments field"} (e.g. learningRate, numTrainEpochs, perDeviceTrainBatchSize, weightDecay, warmupRatio, seed)`);
    this.args = resolveTrainingArguments({ ...prev, ...(hp as Partial<TrainingArguments>) });
    return () => {
      this.args = prev;
    };
  }

  /**
   * HF's `trainer.hyperparameter_search` (Optuna backend): trials from
   * `hpSpace`, a fresh model per trial through `modelInit`, the objective
   * reported after each evaluation so the pruner can stop a trial early.
   *
   * @example
   * const best = await trainer.hyperparameterSearch({ nTrials: 20, direction: "maximize", hpSpace: (trial) => ({ numTrainEpochs: trial.suggestInt("numTrainEpochs", 5, 10), alpha: trial.suggestFloat("alpha", 0, 1), temperature: trial.suggestInt("temperature", 2, 20) }), computeObjective: (m) => m.evalAccuracy });
   * // { runId: "7", objective: 0.88, hyperparameters: { numTrainEpochs: 8, alpha: 0.3, temperature: 5 }, study }
   */
  async hyperparameterSearch(options: HyperparameterSearchOptions): Promise<BestRun & { study: Study }> {
    return runHyperparameterSearch(this, options);
  }

  /** Hidden states / attentions that callbacks asked for (see TrainerCallback.modelOutputs). */
  protected requestedOutputs(): { outputHiddenStates?: boolean; outputAttentions?: boolean } {
    const want = this.callbacks.map((c) => c.modelOutputs ?? {});
    return { outputHiddenStates: want.some((w) => w.hiddenStates), outputAttentions: want.some((w) => w.attentions) };
  }

  /** The model's parameters plus those the callbacks train with it, by name. */
  private trainedParams(model: PreTrainedModel): Map<string, tf.Variable> {
    const all = new Map(model.params);
    for (const cb of this.callbackList) for (const [k, v] of cb.trainableParams?.() ?? []) all.set(k, v);
    return all;
  }

  /** The callbacks, in the order they are called (the default flow and the progress printer first). */
  get callbacks(): readonly TrainerCallback[] {
    return this.callbackList;
  }

  /**
   * HF's `add_callback`: appends a callback (an instance, or a class built
   * with no arguments). Returns the instance, to remove it later.
   *
   * @example const cb = trainer.addCallback({ onEvaluate: (_a, _s, _c, m) => console.log(m) });
   */
  addCallback<C extends TrainerCallback>(callback: C | (new () => C)): C {
    const cb = typeof callback === "function" ? new callback() : callback;
    this.callbackList.push(cb);
    return cb;
  }

  /**
   * HF's `pop_callback`: removes the callback (that instance, or the first
   * of that class) and returns it; undefined when it is not there.
   *
   * @example trainer.popCallback(ProgressCallback); // silence the progress lines
   */
  popCallback<C extends TrainerCallback>(callback: C | (new (...a: any[]) => C)): C | undefined {
    const i = typeof callback === "function" ? this.callbackList.findIndex((c) => c instanceof callback) : this.callbackList.indexOf(callback);
    return i < 0 ? undefined : (this.callbackList.splice(i, 1)[0] as C);
  }

  /**
   * HF's `remove_callback`: like `popCallback` without returning it.
   *
   * @example trainer.removeCallback(cb);
   */
  removeCallback(callback: TrainerCallback | (new (...a: any[]) => TrainerCallback)): void {
    this.popCallback(callback);
  }

  /** The running loop's control flags (evaluate() hands them to onEvaluate callbacks). */
  private loopControl?: TrainerControl;

  private control(): TrainerControl {
    return { shouldTrainingStop: false, shouldEvaluate: false, shouldSave: false, shouldLog: false };
  }

  private fire<K extends keyof TrainerCallback>(event: K, ...rest: any[]): void {
    for (const cb of this.callbackList) (cb[event] as any)?.call(cb, this.args, this.state, ...rest);
  }

  /** Trains; `resumeFromCheckpoint` continues a run (true = the latest checkpoint in outputDir). */
  async train(options: { resumeFromCheckpoint?: string | boolean } = {}): Promise<TrainOutput> {
    const args = this.args;
    const train = this.trainDataset;
    if (!train || train.length === 0) throw new Error("Trainer.train: trainDataset is missing or empty");
    if (this.modelInit) {
      this.model?.dispose();
      this.model = this.modelInit();
    }
    const model = this.model!;
    this.checkDataset(train);
    this.optimizer?.dispose();
    this.optimizer = new AdamW(this.trainedParams(model), { beta1: args.adamBeta1, beta2: args.adamBeta2, epsilon: args.adamEpsilon, weightDecay: args.weightDecay });
    const lengths = train.rows.map((r) => Math.min(r.input_ids.length, args.maxLength));
    const stepsPerEpoch = Math.ceil(train.length / args.perDeviceTrainBatchSize);
    const maxSteps = Math.ceil(stepsPerEpoch * args.numTrainEpochs);
    this.state = { epoch: 0, globalStep: 0, maxSteps, stepsPerEpoch, logHistory: [] };
    let pool: GradientWorkerPool | undefined;
    try {
      let resumeFrom = options.resumeFromCheckpoint;
      if (resumeFrom === true) {
        resumeFrom = latestCheckpoint(args.outputDir);
        if (!resumeFrom) throw new Error(`Trainer.train: resumeFromCheckpoint=true but ${args.outputDir} has no checkpoint-* folder`);
      }
      if (typeof resumeFrom === "string") this.loadCheckpoint(resumeFrom);
      const schedule = linearScheduleWithWarmup(args.learningRate, Math.ceil(maxSteps * args.warmupRatio), maxSteps);
      const trained = this.trainedParams(model);
      const vars = [...trained.values()].filter((v) => v.trainable);
      const paramOf = new Map<string, string>(); // tf variable name -> parameter name
      for (const [n, v] of trained) paramOf.set(v.name, n);
      pool = await this.startWorkers(model);
      return await this.trainLoop({ model, train, pool, schedule, vars, paramOf, lengths });
    } finally {
      this.loopControl = undefined;
      await pool?.terminate();
      // The moments are twice the model's size and only a checkpoint written during training needs them.
      this.optimizer?.dispose();
      this.optimizer = undefined;
    }
  }

  /** Starts data-parallel workers when asked for and possible (a loss they can rebuild, no loss-changing hooks, no weight transforms). */
  private async startWorkers(model: PreTrainedModel): Promise<GradientWorkerPool | undefined> {
    const n = this.args.dataParallelWorkers;
    if (n <= 1) return undefined;
    const transforms = [...model.weightTransforms.values()];
    const why =
      this.computeLoss !== Trainer.prototype.computeLoss ? "computeLoss is overridden"
      : !this.canUseWorkers() ? `${this.constructor.name} computes this loss in one thread`
      : this.callbacks.some((c) => c.onAfterComputeLoss || c.modelOutputs?.hiddenStates || c.modelOutputs?.attentions) ? "a callback changes the loss"
      : transforms.some((t) => !t.backward) ? "a weight transform has no backward (workers see only transformed weights)"
      : model.inputTransforms.size > 0 ? "the model has input transforms (activation fake-quantization)"
      : this.callbacks.some((c) => c.trainableParams) && transforms.length === 0 ? "a callback trains extra parameters"
      : undefined;
    if (why) {
      logger.warn(`dataParallelWorkers=${n} ignored: ${why}; training in one thread.`);
      return undefined;
    }
    const pool = await GradientWorkerPool.start(n - 1, model, this.collator.options, this.lossSpec());
    logger.info(`Data-parallel training on ${n} threads (this one + ${n - 1} worker${n > 2 ? "s" : ""}).`);
    return pool;
  }

  /** Loss and gradients of one batch in this thread, through computeLoss and the callbacks. */
  private step(model: PreTrainedModel, rows: EncodedRow[], seed: number, vars: tf.Variable[], paramOf: Map<string, string>): { loss: number; grads: Map<string, tf.Tensor> } {
    return lossAndGradients({
      model,
      collator: this.collator,
      rows,
      seed,
      computeLoss: (ctx) => this.computeLoss(ctx),
      targets: (inputs) => this.rowTargets(rows, inputs),
      vars,
      nameOf: paramOf,
      afterLoss: (inputs, { loss, outputs }) => {
        let out = loss;
        for (const cb of this.callbackList) out = cb.onAfterComputeLoss?.(this.args, this.state, { inputs, outputs }, out) ?? out;
        return out;
      },
    });
  }

  private async trainLoop(loop: TrainingLoop): Promise<TrainOutput> {
    const { model, train, pool, schedule, vars, paramOf, lengths } = loop;
    const { stepsPerEpoch, maxSteps } = this.state;
    const args = this.args;
    const control = this.control();
    this.loopControl = control;
    const start = performance.now();
    const startStep = this.state.globalStep;
    let lossSum = 0;
    let lossCount = 0;
    let logLossSum = 0;
    let logLossCount = 0;
    this.fire("onTrainBegin", control);

    const firstEpoch = Math.floor(this.state.globalStep / stepsPerEpoch);
    for (let epoch = firstEpoch; this.state.globalStep < maxSteps && !control.shouldTrainingStop; epoch++) {
      const batches = epochBatches(lengths, args.perDeviceTrainBatchSize, args.seed + epoch, args.groupByLength);
      const skip = this.state.globalStep - epoch * stepsPerEpoch;
      this.fire("onEpochBegin", control);
      for (let b = skip; b < batches.length && this.state.globalStep < maxSteps; b++) {
        this.fire("onStepBegin", control);
        // Per-step seeds derived from (seed, step): resuming replays the same randomness.
        const seed = args.seed * 1_000_003 + this.state.globalStep;
        const rows = batchRows(train, batches[b], args.maxLength);
        const lr = schedule(this.state.globalStep);
        const { loss: lossValue, grads } = pool ? await parallelStep({ pool, model, collator: this.collator, computeLoss: (ctx) => this.computeLoss(ctx), rowTargets: (r) => this.rowTargets(r), vars, paramOf }, rows, seed) : this.step(model, rows, seed, vars, paramOf);
        if (!Number.isFinite(lossValue)) {
          tf.dispose([...grads.values()]);
          throw new NonFiniteLossError(
            `Training stopped: the loss is ${lossValue} at step ${this.state.globalStep + 1} (epoch ${(this.state.globalStep / stepsPerEpoch).toFixed(2)}). ` +
              `Lower the learning rate (now ${lr.toExponential(2)}), check the inputs, or resume from the last checkpoint.`,
          );
        }
        this.fire("onBeforeOptimizerStep", grads);
        if (args.maxGradNorm > 0) clipByGlobalNorm(grads, args.maxGradNorm);
        this.optimizer!.applyGradients(grads, lr);
        tf.dispose([...grads.values()]);
        pool?.syncWeights(model);
        this.state.globalStep++;
        this.state.epoch = this.state.globalStep / stepsPerEpoch;
        lossSum += lossValue;
        lossCount++;
        logLossSum += lossValue;
        logLossCount++;
        // DefaultFlowCallback (first in the list) decides what happens after this step.
        this.fire("onStepEnd", control);
        if (control.shouldLog) {
          this.log({ loss: logLossSum / logLossCount, learningRate: lr }, control);
          logLossSum = 0;
          logLossCount = 0;
          control.shouldLog = false;
        }
        let metrics: Record<string, number> | undefined;
        if (control.shouldEvaluate && this.evalDataset) {
          metrics = await this.evaluate();
          control.shouldEvaluate = false;
          if ((args.loadBestModelAtEnd || args.saveStrategy !== "no") && metrics[this.metricKey()] === undefined) {
            throw new Error(`Trainer: metricForBestModel "${args.metricForBestModel}" is not among the evaluation metrics (${Object.keys(metrics).join(", ")}); return it from computeMetrics or pick one of these`);
          }
        }
        if (control.shouldSave) {
          this.saveCheckpoint(metrics);
          control.shouldSave = false;
        }
        if (control.shouldTrainingStop) break;
        if (this.state.globalStep % 10 === 0) await new Promise((r) => setImmediate(r)); // let output flush
      }
      this.fire("onEpochEnd", control);
    }

    const runtime = (performance.now() - start) / 1000;
    const stepsRun = this.state.globalStep - startStep;
    if (args.loadBestModelAtEnd && this.state.bestModelCheckpoint) {
      logger.info(`Loading best model from ${this.state.bestModelCheckpoint} (score: ${this.state.bestMetric}).`);
      model.loadWeightsFrom(this.state.bestModelCheckpoint, { quiet: true });
    }
    this.fire("onTrainEnd", control);
    const trainLoss = lossCount ? lossSum / lossCount : NaN;
    const metrics = {
      trainRuntime: runtime,
      trainSamplesPerSecond: (stepsRun * args.perDeviceTrainBatchSize) / runtime,
      trainStepsPerSecond: stepsRun / runtime,
      trainLoss,
      epoch: this.state.epoch,
    };
    this.state.logHistory.push({ step: this.state.globalStep, ...metrics });
    return { globalStep: this.state.globalStep, trainingLoss: trainLoss, metrics };
  }

  private log(logs: Record<string, number>, control: TrainerControl): void {
    const entry: LogEntry = { epoch: Math.round(this.state.epoch * 100) / 100, step: this.state.globalStep, ...logs };
    this.state.logHistory.push(entry);
    this.fire("onLog", control, logs);
  }

  /** Logits for every row, in dataset order, with the mean cross-entropy. */
  async predict(dataset: Dataset<EncodedRow>, metricKeyPrefix = "test"): Promise<PredictionOutput> {
    const model = this.model;
    if (!model) throw new Error("Trainer.predict: no model (call train() first when using modelInit)");
    if (dataset.length === 0) throw new Error("Trainer.predict: the dataset is empty");
    this.checkDataset(dataset);
    if (!this.collator.usesLabels) return { predictions: [], labelIds: [], metrics: await evaluateMaskedLm(model, dataset, { collator: this.collator, maxLength: this.args.maxLength, batchSize: this.args.perDeviceEvalBatchSize, prefix: metricKeyPrefix }) };
    const start = performance.now();
    const lengths = dataset.rows.map((r) => Math.min(r.input_ids.length, this.args.maxLength));
    const predictions: Float32Array[] = new Array(dataset.length);
    let lossSum = 0;
    for (const idx of inferenceBatches(lengths, this.args.perDeviceEvalBatchSize)) {
      const inputs = this.collator.call(batchRows(dataset, idx, this.args.maxLength));
      const [logits, loss] = tf.tidy(() => {
        const out = model.call(inputs);
        return [out.logits, crossEntropy(out.logits, inputs.labels, 0)];
      }) as [tf.Tensor2D, tf.Scalar];
      const flat = (await logits.data()) as Float32Array;
      const width = logits.shape[1];
      idx.forEach((row, i) => (predictions[row] = flat.slice(i * width, (i + 1) * width)));
      lossSum += (await loss.data())[0] * idx.length;
      tf.dispose([logits, loss, ...Object.values(inputs)]);
    }
    const labelIds = dataset.rows.map((r) => r.label);
    const runtime = (performance.now() - start) / 1000;
    const p = metricKeyPrefix;
    const metrics: Record<string, number> = { [`${p}Loss`]: lossSum / dataset.length };
    for (const [k, v] of Object.entries(this.computeMetrics?.({ predictions, labelIds }) ?? {})) metrics[`${p}${k[0].toUpperCase()}${k.slice(1)}`] = v;
    metrics[`${p}Runtime`] = runtime;
    metrics[`${p}SamplesPerSecond`] = dataset.length / runtime;
    return { predictions, labelIds, metrics };
  }

  /** Loss and computeMetrics on the eval set, keys prefixed "eval" (evalLoss, evalAccuracy, …). */
  async evaluate(evalDataset?: Dataset<EncodedRow>): Promise<Record<string, number>> {
    const ds = evalDataset ?? this.evalDataset;
    if (!ds) throw new Error("Trainer.evaluate: no evalDataset given");
    const { metrics } = await this.predict(ds, "eval");
    this.state.logHistory.push({ epoch: this.state.epoch, step: this.state.globalStep, ...metrics });
    // Inside train(), callbacks steer the loop's own control (e.g. stop after this evaluation, as a pruner does).
    this.fire("onEvaluate", this.loopControl ?? this.control(), metrics);
    return metrics;
  }

  private metricKey(): string {
    const m = this.args.metricForBestModel.replace(/^eval_?/i, "");
    return `eval${m[0].toUpperCase()}${m.slice(1)}`;
  }

  /** Writes checkpoint-<step>/ (model, optimizer, trainer state) atomically, tracking the best by metricForBestModel. */
  saveCheckpoint(metrics?: Record<string, number>): string {
    const dir = path.join(this.args.outputDir, `checkpoint-${this.state.globalStep}`);
    if (metrics) {
      const key = this.metricKey();
      const value = metrics[key];
      if (value === undefined) throw new Error(`Trainer: metricForBestModel "${this.args.metricForBestModel}" is not among the metrics (${Object.keys(metrics).join(", ")})`);
      const better = this.state.bestMetric === undefined || (this.args.greaterIsBetter ? value > this.state.bestMetric : value < this.state.bestMetric);
      if (better) {
        this.state.bestMetric = value;
        this.state.bestModelCheckpoint = dir;
      }
    }
    saveCheckpoint(dir, { model: this.model!, tokenizer: this.tokenizer, optimizer: this.optimizer, state: this.state, args: this.args });
    rotateCheckpoints(this.args.outputDir, this.args.saveTotalLimit, this.state.bestModelCheckpoint);
    return dir;
  }

  private loadCheckpoint(dir: string): void {
    const saved = loadCheckpoint(dir, { model: this.model!, optimizer: this.optimizer!, stepsPerEpoch: this.state.stepsPerEpoch });
    this.state = { ...saved, maxSteps: this.state.maxSteps };
    logger.info(`Resuming from ${dir} at step ${this.state.globalStep} (epoch ${this.state.epoch.toFixed(2)})`);
  }
}
