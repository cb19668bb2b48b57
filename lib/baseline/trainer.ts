// Training loop of the bag-of-words classifier: features computed once per
// row (there is no augmentation), mini-batches of sparse rows, cross-entropy
// (optional label smoothing), AdamW, and early stopping on validation accuracy.
import * as tf from "@tensorflow/tfjs-core";
import { AdamW, linearScheduleWithWarmup } from "../training/optimizer";
import { crossEntropy } from "../training/loss";
import { epochBatches } from "../training/data";
import { argmax } from "../evaluation";
import { Random } from "../utils/random";
import { logger } from "../utils/log";
import { BagOfWordsClassifier } from "../models/bagOfWords/model";
import { SparseRow, compactRows } from "../models/bagOfWords/features";
import { SparseAdamW } from "./sparseAdam";

/** How the classifier is trained. */
export interface BagOfWordsTrainingArgs {
  /** Most epochs to train. */
  numTrainEpochs: number;
  /** Peak learning rate (linear warmup, then linear decay to 0 at `numTrainEpochs`). */
  learningRate: number;
  warmupRatio: number;
  /** AdamW's decoupled weight decay (not on biases). */
  weightDecay: number;
  batchSize: number;
  /** Label smoothing of the training loss (as torch's CrossEntropyLoss). */
  labelSmoothing: number;
  /** Stop after this many epochs without a better validation accuracy (0: never stop early). */
  earlyStoppingPatience: number;
  /** Seeds the batch order and dropout. */
  seed: number;
}

/**
 * Defaults of `trainBagOfWordsClassifier` (the recipe's values; see BOW_RECIPE).
 *
 * @example
 * trainBagOfWordsClassifier(model, train, validation, { ...BOW_TRAINING_DEFAULTS, numTrainEpochs: 5 });
 */
export const BOW_TRAINING_DEFAULTS: BagOfWordsTrainingArgs = {
  numTrainEpochs: 20,
  learningRate: 2e-3,
  warmupRatio: 0.05,
  weightDecay: 0.01,
  batchSize: 64,
  labelSmoothing: 0,
  earlyStoppingPatience: 4,
  seed: 42,
};

/**
 * Fills defaults and checks args, naming the field; unknown keys are an error.
 *
 * @example
 * resolveBagOfWordsTrainingArgs({ batchSize: 0 }); // Error: BagOfWordsTrainingArgs.batchSize must be an integer >= 1, got 0
 */
export function resolveBagOfWordsTrainingArgs(args: Partial<BagOfWordsTrainingArgs> = {}): BagOfWordsTrainingArgs {
  for (const k of Object.keys(args)) if (!(k in BOW_TRAINING_DEFAULTS)) throw new Error(`BagOfWordsTrainingArgs: unknown field "${k}" (known: ${Object.keys(BOW_TRAINING_DEFAULTS).join(", ")})`);
  const a = { ...BOW_TRAINING_DEFAULTS, ...args };
  const bad = (field: string, need: string) => new Error(`BagOfWordsTrainingArgs.${field} must be ${need}, got ${(a as unknown as Record<string, unknown>)[field]}`);
  if (!(Number.isInteger(a.numTrainEpochs) && a.numTrainEpochs >= 1)) throw bad("numTrainEpochs", "an integer >= 1");
  if (!(a.learningRate > 0 && Number.isFinite(a.learningRate))) throw bad("learningRate", "a positive number");
  if (!(a.warmupRatio >= 0 && a.warmupRatio < 1)) throw bad("warmupRatio", "in [0, 1)");
  if (!(a.weightDecay >= 0 && Number.isFinite(a.weightDecay))) throw bad("weightDecay", "a number >= 0");
  if (!(Number.isInteger(a.batchSize) && a.batchSize >= 1)) throw bad("batchSize", "an integer >= 1");
  if (!(a.labelSmoothing >= 0 && a.labelSmoothing < 1)) throw bad("labelSmoothing", "in [0, 1)");
  if (!(Number.isInteger(a.earlyStoppingPatience) && a.earlyStoppingPatience >= 0)) throw bad("earlyStoppingPatience", "an integer >= 0");
  if (!Number.isFinite(a.seed)) throw bad("seed", "a finite number");
  return a;
}

/** A tokenized example: token ids ([CLS] … [SEP]) and its label id. */
export interface BagOfWordsExample {
  input_ids: readonly number[];
  label: number;
}

export interface BagOfWordsEpochLog {
  epoch: number;
  trainLoss: number;
  validationAccuracy: number;
  learningRate: number;
  seconds: number;
}

export interface BagOfWordsTrainOutput {
  history: BagOfWordsEpochLog[];
  /** The epoch whose weights the model holds at the end (best validation accuracy, first on ties). */
  bestEpoch: number;
  bestValidationAccuracy: number;
  /** Mean seconds of an epoch's training steps (validation excluded). */
  secondsPerEpoch: number;
  stoppedEarly: boolean;
}

/**
 * Logits of already-featurised rows, one Float32Array per row, in batches.
 *
 * @example
 * predictFeatureRows(model, rows.map((ids) => model.featurizer.transform(ids))); // [Float32Array(151), …]
 */
export function predictFeatureRows(model: BagOfWordsClassifier, rows: readonly SparseRow[], batchSize = 256): Float32Array[] {
  const out: Float32Array[] = [];
  for (let s = 0; s < rows.length; s += batchSize) {
    const logits = model.logitsFromCompact(compactRows(rows.slice(s, s + batchSize)));
    const flat = logits.dataSync() as Float32Array;
    const [n, width] = logits.shape;
    logits.dispose();
    for (let i = 0; i < n; i++) out.push(flat.slice(i * width, (i + 1) * width));
  }
  return out;
}

/**
 * Logits of tokenized examples (features computed here), one row per example.
 *
 * @example
 * predictBagOfWords(model, [{ input_ids: tokenizer.encode("what is my pin").input_ids }]); // [Float32Array(151)]
 */
export function predictBagOfWords(model: BagOfWordsClassifier, examples: readonly { input_ids: readonly number[] }[], batchSize = 256): Float32Array[] {
  return predictFeatureRows(model, examples.map((e, i) => model.featurizer.transform(e.input_ids, undefined, `example ${i}`)), batchSize);
}

function accuracyOf(logits: readonly Float32Array[], labels: readonly number[]): number {
  let ok = 0;
  logits.forEach((row, i) => {
    if (argmax(row) === labels[i]) ok++;
  });
  return ok / Math.max(1, labels.length);
}

function checkExamples(examples: readonly BagOfWordsExample[], numLabels: number, split: string): void {
  if (examples.length === 0) throw new Error(`trainBagOfWordsClassifier: the ${split} split is empty`);
  examples.forEach((e, i) => {
    if (!(Number.isInteger(e.label) && e.label >= 0 && e.label < numLabels)) throw new Error(`trainBagOfWordsClassifier: ${split} row ${i} has label ${e.label}, outside the model's ${numLabels} labels`);
  });
}

/**
 * Trains a bag-of-words classifier in place and leaves it with the weights of
 * its best epoch by validation accuracy. The bag table is updated lazily
 * (`SparseAdamW`: only the rows a batch uses), the other weights with AdamW.
 *
 * @example
 * const out = trainBagOfWordsClassifier(model, trainRows, validationRows, { numTrainEpochs: 20 });
 * out.bestValidationAccuracy; // e.g. 0.92
 */
export function trainBagOfWordsClassifier(model: BagOfWordsClassifier, train: readonly BagOfWordsExample[], validation: readonly BagOfWordsExample[], args: Partial<BagOfWordsTrainingArgs> = {}): BagOfWordsTrainOutput {
  const a = resolveBagOfWordsTrainingArgs(args);
  checkExamples(train, model.numLabels, "train");
  checkExamples(validation, model.numLabels, "validation");
  const trainFeatures = train.map((e, i) => model.featurizer.transform(e.input_ids, undefined, `train row ${i}`));
  const validationFeatures = validation.map((e, i) => model.featurizer.transform(e.input_ids, undefined, `validation row ${i}`));
  const validationLabels = validation.map((e) => e.label);

  const bagVar = model.weight("bag.weight");
  const width = model.bagWidth;
  const table = Float32Array.from(bagVar.dataSync() as Float32Array);
  const sparse = new SparseAdamW(table, width, { weightDecay: a.weightDecay });
  const dense = new Map([...model.params].filter(([name]) => name !== "bag.weight"));
  const adam = new AdamW(dense, { weightDecay: a.weightDecay });
  const denseNames = [...dense.keys()];

  const stepsPerEpoch = Math.ceil(train.length / a.batchSize);
  const totalSteps = stepsPerEpoch * a.numTrainEpochs;
  const schedule = linearScheduleWithWarmup(a.learningRate, Math.round(a.warmupRatio * totalSteps), totalSteps);
  const rng = new Random(a.seed);
  const syncTable = () => tf.tidy(() => bagVar.assign(tf.tensor2d(table, [table.length / width, width])));
  const snapshot = () => ({ table: table.slice(), dense: denseNames.map((n) => Float32Array.from(dense.get(n)!.dataSync() as Float32Array)) });

  const history: BagOfWordsEpochLog[] = [];
  let best = { epoch: 0, accuracy: -1, weights: snapshot() };
  let step = 0;
  let trainSeconds = 0;
  let stoppedEarly = false;
  const lengths = train.map(() => 1);
  try {
    for (let epoch = 1; epoch <= a.numTrainEpochs; epoch++) {
      const start = process.hrtime.bigint();
      let lossSum = 0;
      let lr = 0;
      for (const batch of epochBatches(lengths, a.batchSize, a.seed * 1000 + epoch, false)) {
        // The step works on the table rows of the features this batch uses only.
        const c = compactRows(batch.map((i) => trainFeatures[i]));
        const used = c.features.length;
        const sub = new Float32Array(used * width);
        c.features.forEach((f, l) => sub.set(table.subarray(f * width, (f + 1) * width), l * width));
        lr = schedule(step);
        const { loss, subGrad, denseGrads } = tf.tidy(() => {
          const x = tf.tensor2d(c.matrix, [c.batch, used]);
          const labels = tf.tensor1d(batch.map((i) => train[i].label), "int32");
          const f = (subTable: tf.Tensor) => crossEntropy(model.logitsFromFeatures(x, subTable as tf.Tensor2D, { training: true, rng }), labels, a.labelSmoothing);
          const { value, grads } = tf.valueAndGrads(f as (...xs: tf.Tensor[]) => tf.Scalar)([tf.tensor2d(sub, [used, width]), ...denseNames.map((n) => dense.get(n)!)]);
          return { loss: value, subGrad: grads[0], denseGrads: grads.slice(1) };
        });
        const lossValue = loss.dataSync()[0];
        if (!Number.isFinite(lossValue)) throw new Error(`trainBagOfWordsClassifier: the loss became ${lossValue} at step ${step} (epoch ${epoch}); lower learningRate`);
        lossSum += lossValue;
        sparse.step(c.features, subGrad.dataSync() as Float32Array, lr);
        adam.applyGradients(new Map(denseNames.map((n, i) => [n, denseGrads[i]])), lr);
        tf.dispose([loss, subGrad, ...denseGrads]);
        step++;
      }
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      trainSeconds += seconds;
      syncTable();
      const accuracy = accuracyOf(predictFeatureRows(model, validationFeatures), validationLabels);
      history.push({ epoch, trainLoss: lossSum / stepsPerEpoch, validationAccuracy: accuracy, learningRate: lr, seconds });
      logger.info(`epoch ${epoch}: train loss ${(lossSum / stepsPerEpoch).toFixed(4)} | validation accuracy ${accuracy.toFixed(4)} | ${seconds.toFixed(1)} s`);
      if (accuracy > best.accuracy) best = { epoch, accuracy, weights: snapshot() };
      else if (a.earlyStoppingPatience > 0 && epoch - best.epoch >= a.earlyStoppingPatience) {
        stoppedEarly = epoch < a.numTrainEpochs;
        break;
      }
    }
  } finally {
    adam.dispose();
  }
  // Restore the best epoch's weights.
  table.set(best.weights.table);
  syncTable();
  denseNames.forEach((n, i) => tf.tidy(() => dense.get(n)!.assign(tf.tensor(best.weights.dense[i], dense.get(n)!.shape))));
  return { history, bestEpoch: best.epoch, bestValidationAccuracy: best.accuracy, secondsPerEpoch: trainSeconds / Math.max(1, history.length), stoppedEarly };
}
