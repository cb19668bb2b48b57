// The recipes that produce the shipped checkpoints, shared by the npm scripts
// (pretrain:mlm, train:teacher, train:students) and the notebooks' full
// profile. Each takes a dataset (CLINC150 by default) and an output folder,
// chooses everything on the validation split, and writes its
// training_report.json itself (recipe, per-epoch log, timings, seeds, git
// commit, test report), so no figure in it is typed by hand.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Dataset, augmentOos, concatenateDatasets, dataFingerprintOf, loadClinc } from "../data";
import type { DatasetDict } from "../data/clinc";
import type { IntentRow } from "../data/intents";
import { BertTokenizer } from "../tokenizers";
import { AutoModelForSequenceClassification, BertForMaskedLM, BertForSequenceClassification, DistilBertForSequenceClassification, PreTrainedModel, labelMaps } from "../models";
import { MODELS_DIR, modelPath } from "./hub";
import { workbookModelName, workbookRunDir } from "./data";
import { appliedOosOversample } from "./dataFacts";
import { fitModelOosDetector } from "./oosRecipe";
import { DataCollatorForLanguageModeling, Trainer, computeAccuracy, tokenizeDataset } from "../training";
import { DistillationTrainer, OosTargetTeacher, studentInit } from "../distillation";
import { IntentReport, intentReport } from "../evaluation";
import { tuneOosThreshold } from "../pipelines/oos";
import { writeJsonAtomic } from "../utils/fs";
import { gitCommit } from "../utils/git";
import { BackendName, initBackend } from "../backend";
import { nativeKernelsActive } from "../native";
import { logger } from "../utils/log";
import { BagOfWordsClassifier } from "../models/bagOfWords/model";
import { EnsembleForSequenceClassification, combineLogits } from "../models/ensemble";
import type { SequenceClassificationModel } from "../models/sequenceClassification";
import { pipeline } from "../pipelines";
import type { Trial } from "../hpo/trial";
import { loadStudy, type Study } from "../hpo/study";
import { MedianPruner } from "../hpo/pruners/median";
import { TPESampler } from "../hpo/samplers/tpe";
import type { BestRun } from "../training/hyperparameterSearch";

export interface RecipeResult {
  dir: string;
  model: PreTrainedModel;
  /** Test report with the saved out-of-scope fallback applied (what the pipeline does by default). */
  test: IntentReport;
  /** Test report of the plain argmax. */
  testArgmax: IntentReport;
  secondsPerEpoch: number;
}

/**
 * Tokens per query in every recipe (CLINC150's longest query has 40).
 *
 * @example
 * const test = tokenizeDataset(data.test, tokenizer, MAX_LENGTH); // 64 tokens per query at most
 */
export const MAX_LENGTH = 64;

/**
 * The out-of-scope label's name (CLINC150's; your own data uses it to enable the out-of-scope metrics).
 *
 * @example
 * loadClinc().train.features.intent.str2int(OOS_LABEL); // 42, as oosId(loadClinc())
 */
export const OOS_LABEL = "oos";

/**
 * The TrainingArguments every classification recipe shares: evaluate and save each epoch, keep the best by validation accuracy. @internal
 *
 * @example
 * const trainer = new Trainer({ model, tokenizer, args: recipeArgs(runDir("teacher"), TEACHER_RECIPE), trainDataset, evalDataset, computeMetrics: computeAccuracy });
 */
export function recipeArgs(outputDir: string, r: { numTrainEpochs: number; learningRate: number; perDeviceTrainBatchSize: number; warmupRatio: number; weightDecay: number; seed: number; dataParallelWorkers: number }) {
  return {
    outputDir,
    numTrainEpochs: r.numTrainEpochs,
    learningRate: r.learningRate,
    perDeviceTrainBatchSize: r.perDeviceTrainBatchSize,
    perDeviceEvalBatchSize: 128,
    warmupRatio: r.warmupRatio,
    weightDecay: r.weightDecay,
    maxLength: MAX_LENGTH,
    evaluationStrategy: "epoch" as const,
    saveStrategy: "epoch" as const,
    saveTotalLimit: 1,
    loadBestModelAtEnd: true,
    metricForBestModel: "accuracy",
    seed: r.seed,
    dataParallelWorkers: r.dataParallelWorkers,
  };
}

/**
 * Where a run's checkpoints go (ignored by git): runs/<name>, or
 * outputs/<data>/runs/<name> under WORKBOOK_DATA (workbookRunDir). @internal
 *
 * @example
 * runDir("teacher"); // "…/runs/teacher"
 */
export function runDir(name: string): string {
  return workbookRunDir(name);
}

/** What every training report records about where and how it ran. */
function runInfo(backend: BackendName, trainer: Trainer) {
  const epochs = Math.max(1e-9, trainer.state.epoch);
  const runtime = Number(trainer.state.logHistory.at(-1)?.trainRuntime ?? 0);
  return {
    backend: nativeKernelsActive() ? `${backend} + native kernels` : backend,
    dataParallelWorkers: trainer.args.dataParallelWorkers,
    machine: `${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown"}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
    gitCommit: gitCommit(),
    date: new Date().toISOString(),
    trainRuntimeSeconds: runtime,
    secondsPerEpoch: runtime / epochs,
  };
}

/**
 * The oos label's id, or undefined when the dataset has no out-of-scope class.
 *
 * @example
 * oosId(loadClinc()); // 42 (the id of "oos" among CLINC150's 151 labels)
 */
export function oosId(data: DatasetDict): number | undefined {
  return data.train.features.intent.names.includes(OOS_LABEL) ? data.train.features.intent.str2int(OOS_LABEL) : undefined;
}

/**
 * The training split with every `oos` row repeated `factor` times in all (a no-op without an oos class).
 *
 * @example
 * oversampleOos(loadClinc().train, 4).length; // 16000: CLINC150's 15,250 training rows plus 3 more copies of its 250 oos rows
 */
export function oversampleOos(train: Dataset<IntentRow>, factor: number): Dataset<IntentRow> {
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`oversampleOos: factor must be an integer >= 1, got ${factor}`);
  if (factor === 1 || !train.features.intent.names.includes(OOS_LABEL)) return train;
  const oos = train.features.intent.str2int(OOS_LABEL);
  const rows = train.filter((r) => r.intent === oos);
  return concatenateDatasets([train, ...Array.from({ length: factor - 1 }, () => rows)]);
}

/**
 * Tunes the out-of-scope fallback threshold on validation logits and saves
 * it in the model's config (`task_specific_params["text-classification"]`),
 * so `pipeline()` and `OnnxPipeline` apply it by default. Returns the
 * threshold, or undefined when the dataset has no oos class.
 *
 * @example
 * const val = await trainer.predict(tokenizeDataset(data.validation, tokenizer, MAX_LENGTH), "validation");
 * saveOosThreshold(model, val.predictions, val.labelIds, oosId(data)); // { threshold: 0.2, validationAccuracy: 0.9, validationArgmaxAccuracy: 0.896 } for the shipped teacher
 */
export function saveOosThreshold(model: { config: object }, validationLogits: readonly Float32Array[], validationLabels: readonly number[], oos: number | undefined): { threshold: number; validationAccuracy: number; validationArgmaxAccuracy: number } | undefined {
  if (oos === undefined) return undefined;
  const tuned = tuneOosThreshold(validationLogits, validationLabels, oos);
  const config = model.config as { task_specific_params?: Record<string, unknown> };
  config.task_specific_params = { ...(config.task_specific_params ?? {}), "text-classification": { oos_threshold: tuned.threshold, oos_label: OOS_LABEL, tuned_on: "validation" } };
  return { threshold: tuned.threshold, validationAccuracy: tuned.accuracy, validationArgmaxAccuracy: tuned.baselineAccuracy };
}

/**
 * Predictions with the fallback applied: below the threshold, the oos id.
 *
 * @example
 * withFallback([Float32Array.of(2, 1.9, 0)], 0.5, 2);       // [2]: the top probability (≈ 0.49) is below 0.5, so oos (id 2)
 * withFallback([Float32Array.of(2, 1.9, 0)], undefined, 2); // [0]: plain argmax
 */
export function withFallback(logits: readonly Float32Array[], threshold: number | undefined, oos: number | undefined): number[] {
  return logits.map((row) => {
    let best = 0;
    for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
    if (threshold === undefined || oos === undefined) return best;
    let z = 0;
    for (const v of row) z += Math.exp(v - row[best]);
    return 1 / z < threshold ? oos : best;
  });
}

/**
 * A recipe as recorded: an oos oversampling factor that did not apply (no oos
 * class) is recorded as 1, the factor asked for as `oosOversampleRequested`
 * (what notebookModelStaleReason compares), with a note.
 */
function recordedRecipe(recipe: Record<string, unknown>, data: DatasetDict): Record<string, unknown> {
  if (typeof recipe.oosOversample !== "number" || appliedOosOversample(data, recipe.oosOversample) === recipe.oosOversample) return recipe;
  return { ...recipe, oosOversample: 1, oosOversampleRequested: recipe.oosOversample, oosOversampleNote: `not applied: the data has no ${OOS_LABEL} class (recipe asked for ${recipe.oosOversample}x)` };
}

/**
 * Validation and test evaluation, threshold tuning and the folder with its report: the end of every classification recipe. @internal
 *
 * @example
 * return finish({ model, tokenizer, trainer, data, out, backend, recipe: { ...recipe } }); // writes out/ with its training_report.json
 */
export async function finish(options: { model: PreTrainedModel; tokenizer: BertTokenizer; trainer: Trainer; data: DatasetDict; out: string; backend: BackendName; recipe: Record<string, unknown>; extra?: Record<string, unknown> }): Promise<RecipeResult> {
  const { model, tokenizer, trainer, data, out } = options;
  const oos = oosId(data);
  const val = await trainer.predict(tokenizeDataset(data.validation, tokenizer, MAX_LENGTH), "validation");
  const fallback = saveOosThreshold(model, val.predictions, val.labelIds, oos);
  const test = await trainer.predict(tokenizeDataset(data.test, tokenizer, MAX_LENGTH), "test");
  const testArgmax = intentReport(test.predictions, test.labelIds, oos);
  const testReport = intentReport(withFallback(test.predictions, fallback?.threshold, oos), test.labelIds, oos);
  model.savePretrained(out);
  tokenizer.savePretrained(out);
  const info = runInfo(options.backend, trainer);
  writeJsonAtomic(path.join(out, "training_report.json"), {
    recipe: recordedRecipe(options.recipe, data),
    ...options.extra,
    ...info,
    dataset: { train: data.train.length, validation: data.validation.length, test: data.test.length, labels: data.train.features.intent.names.length, oosLabel: oos === undefined ? null : OOS_LABEL },
    // What the data was read from (each file's sha256): a model is reused only for the same files (staleModelReason).
    dataFingerprint: dataFingerprintOf(data) ?? null,
    bestValidationAccuracy: trainer.state.bestMetric,
    oosFallback: fallback ?? null,
    test: testReport,
    testArgmax,
    logHistory: trainer.state.logHistory,
  });
  const fmt = (r: IntentReport) => `accuracy ${r.accuracy.toFixed(4)}${r.oosRecall === null || r.inScopeAccuracy === null ? "" : ` | in-scope ${r.inScopeAccuracy.toFixed(4)} | oos recall ${r.oosRecall.toFixed(4)}`}`;
  logger.info(`Test (argmax): ${fmt(testArgmax)}`);
  if (fallback) logger.info(`Test (oos fallback below ${fallback.threshold}, tuned on validation): ${fmt(testReport)}`);
  logger.info(`Saved ${out}`);
  // The out-of-scope detector saved with the model: softmax, energy, Mahalanobis or kNN, chosen on validation.
  await fitModelOosDetector(out, data);
  return { dir: out, model, test: testReport, testArgmax, secondsPerEpoch: info.secondsPerEpoch };
}

/**
 * Rows of a split, or a seeded subset of them (quick checks). @internal
 *
 * @example
 * subset(data.train, 512).length; // 512, the same rows every run (shuffled with seed 0)
 * subset(data.train, 0) === data.train; // true: 0 keeps every row
 */
export function subset<T extends object>(ds: Dataset<T>, n: number): Dataset<T> {
  return n > 0 && n < ds.length ? ds.shuffle(0).head(n) : ds;
}

export interface MaskedLmRecipe {
  numTrainEpochs: number;
  learningRate: number;
  perDeviceTrainBatchSize: number;
  warmupRatio: number;
  weightDecay: number;
  mlmProbability: number;
  seed: number;
  dataParallelWorkers: number;
  subset: number;
}

/**
 * Task-adaptive pretraining of the teacher's encoder on the training queries (Gururangan et al., "Don't Stop Pretraining").
 *
 * @example
 * MASKED_LM_RECIPE.mlmProbability; // 0.15, as HF's run_mlm
 * await pretrainMaskedLm({ ...MASKED_LM_RECIPE, numTrainEpochs: 2, out: "outputs/models/bert-clinc-mlm" });
 */
export const MASKED_LM_RECIPE: MaskedLmRecipe = { numTrainEpochs: 40, learningRate: 1e-3, perDeviceTrainBatchSize: 64, warmupRatio: 0.06, weightDecay: 0.01, mlmProbability: 0.15, seed: 42, dataParallelWorkers: 2, subset: 0 };

/**
 * The teacher's architecture: the book's BERT at a size that 15k queries can fill.
 *
 * @example
 * BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, ...TEACHER_ARCHITECTURE, ...labelMaps(names) }, { seed: 42 });
 */
export const TEACHER_ARCHITECTURE = { hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024, max_position_embeddings: MAX_LENGTH };

/** bert-base-uncased's WordPiece vocabulary trimmed to what the training texts use. */
function trimmedTokenizer(data: DatasetDict, minCount = 1): BertTokenizer {
  const tokenizer = BertTokenizer.bertBaseUncased({ modelMaxLength: MAX_LENGTH }).trimmedTo(data.train.column("text"), { minCount });
  logger.info(`Vocabulary: ${tokenizer.vocabSize} tokens (${tokenizer.vocabNote})`);
  return tokenizer;
}

/**
 * Masked-language-model pretraining of a `BertForMaskedLM` with the
 * teacher's architecture on the training split's texts only (never
 * validation or test), as Hugging Face's run_mlm: 15% of tokens chosen,
 * 80/10/10. The folder (`bert-clinc-mlm` by default) initialises the teacher.
 *
 * @example
 * const { dir, validationAccuracy } = await pretrainMaskedLm({ out: "outputs/models/bert-clinc-mlm" }); // masked-token accuracy on validation
 * await trainTeacher({ init: "mlm", mlmDir: dir, out: "outputs/models/bert-clinc-teacher" });
 */
export async function pretrainMaskedLm(options: Partial<MaskedLmRecipe> & { dataset?: DatasetDict; out?: string } = {}): Promise<{ dir: string; model: BertForMaskedLM; validationLoss: number; validationAccuracy: number }> {
  const backend = await initBackend();
  const { dataset, out: outOption, ...overrides } = options;
  const recipe: MaskedLmRecipe = { ...MASKED_LM_RECIPE, ...overrides };
  const data = dataset ?? loadClinc();
  const out = outOption ?? path.join(MODELS_DIR, "bert-clinc-mlm");
  const tokenizer = trimmedTokenizer(data);
  const model = BertForMaskedLM.fromConfig({ vocab_size: tokenizer.vocabSize, ...TEACHER_ARCHITECTURE }, { seed: recipe.seed });
  logger.info(`BertForMaskedLM: ${(model.numParameters() / 1e6).toFixed(2)}M parameters, backend ${backend}`);
  const collator = new DataCollatorForLanguageModeling({
    kind: "mlm",
    padTokenId: tokenizer.padTokenId,
    maskTokenId: tokenizer.maskTokenId,
    vocabSize: tokenizer.vocabSize,
    specialIds: [tokenizer.padTokenId, tokenizer.clsTokenId, tokenizer.sepTokenId, tokenizer.maskTokenId, tokenizer.unkTokenId],
    mlmProbability: recipe.mlmProbability,
  });
  const texts = (ds: Dataset<IntentRow>) => tokenizeDataset(ds, tokenizer, MAX_LENGTH);
  const trainer = new Trainer({
    model,
    tokenizer,
    dataCollator: collator,
    args: { ...recipeArgs(runDir("bert-clinc-mlm"), recipe), metricForBestModel: "loss", greaterIsBetter: false, loggingSteps: 50 },
    trainDataset: texts(subset(data.train, recipe.subset)),
    // The validation texts (no labels used) pick the best epoch by masked-LM loss, as they pick every other choice.
    evalDataset: texts(subset(data.validation, Math.ceil(recipe.subset / 4))),
  });
  await trainer.train();
  const { metrics: evalMetrics } = await trainer.predict(trainer.evalDataset!, "eval");
  model.savePretrained(out);
  tokenizer.savePretrained(out);
  writeJsonAtomic(path.join(out, "training_report.json"), { recipe, ...runInfo(backend, trainer), dataFingerprint: dataFingerprintOf(data) ?? null, maskedLmLoss: evalMetrics.evalLoss, maskedTokenAccuracy: evalMetrics.evalAccuracy, logHistory: trainer.state.logHistory });
  logger.info(`Masked-LM loss ${evalMetrics.evalLoss.toFixed(4)}, masked-token accuracy ${evalMetrics.evalAccuracy.toFixed(4)}; saved ${out}`);
  return { dir: out, model, validationLoss: evalMetrics.evalLoss, validationAccuracy: evalMetrics.evalAccuracy };
}

export interface TeacherRecipe {
  numTrainEpochs: number;
  learningRate: number;
  perDeviceTrainBatchSize: number;
  warmupRatio: number;
  weightDecay: number;
  labelSmoothingFactor: number;
  tokenMaskProb: number;
  hiddenDropout: number;
  dataParallelWorkers: number;
  seed: number;
  /** How many times each `oos` training row is seen per epoch (see `oversampleOos`). */
  oosOversample: number;
  /** Start from a masked-LM folder (task-adaptive pretraining) instead of random weights; its tokenizer is used. */
  init: "scratch" | "mlm";
  /**
   * Keep a WordPiece token only if the training texts use it at least this
   * often (rarer words are split into smaller pieces the model sees often):
   * fewer, better-trained embeddings.
   */
  vocabMinCount: number;
  /** Train on a random subset (quick checks only; 0 = all rows). */
  subset: number;
}

/**
 * The recipe of the shipped teacher (`bert-clinc-teacher`); `trainTeacher` options override its fields.
 *
 * @example
 * TEACHER_RECIPE.numTrainEpochs; // 14
 * await trainTeacher({ ...TEACHER_RECIPE, subset: 2000, out: "outputs/models/teacher-check" }); // a quick run on 2,000 rows
 */
export const TEACHER_RECIPE: TeacherRecipe = {
  numTrainEpochs: 14,
  learningRate: 1e-3,
  perDeviceTrainBatchSize: 64,
  warmupRatio: 0.1,
  weightDecay: 0.01,
  labelSmoothingFactor: 0.1,
  tokenMaskProb: 0.1,
  hiddenDropout: 0.1,
  dataParallelWorkers: 2,
  seed: 42,
  oosOversample: 4,
  init: "scratch",
  vocabMinCount: 6,
  subset: 0,
};

/**
 * Trains the "BERT baseline" teacher: a BertForSequenceClassification with
 * the teacher architecture, from random weights or from the masked-LM
 * folder, best epoch on validation, the out-of-scope fallback tuned on
 * validation and saved with it, written as an HF-layout folder with its
 * training report.
 *
 * @example
 * const { dir, test } = await trainTeacher({ out: "outputs/models/bert-clinc-teacher" });
 * test.accuracy; // ≈ 0.84 on CLINC150's test split (the shipped teacher: 0.8416)
 */
export async function trainTeacher(options: Partial<TeacherRecipe> & { dataset?: DatasetDict; out?: string; runDir?: string; resume?: boolean; mlmDir?: string } = {}): Promise<RecipeResult> {
  const backend = await initBackend();
  const { dataset, out: outOption, runDir: runDirOption, resume, mlmDir: mlmOption, ...overrides } = options;
  const recipe: TeacherRecipe = { ...TEACHER_RECIPE, ...overrides };
  const data = dataset ?? loadClinc();
  const out = outOption ?? path.join(MODELS_DIR, "bert-clinc-teacher");
  const names = data.train.features.intent.names;
  const mlmDir = recipe.init === "mlm" ? (mlmOption ?? modelPath("bert-clinc-mlm")) : undefined;
  const tokenizer = mlmDir ? BertTokenizer.fromPretrained(mlmDir) : trimmedTokenizer(data, recipe.vocabMinCount);
  const architecture = { vocab_size: tokenizer.vocabSize, ...TEACHER_ARCHITECTURE, hidden_dropout_prob: recipe.hiddenDropout, attention_probs_dropout_prob: 0.1, ...labelMaps(names) };
  const model = mlmDir
    ? BertForSequenceClassification.fromPretrained(mlmDir, { quiet: true, seed: recipe.seed, config: architecture })
    : BertForSequenceClassification.fromConfig(architecture, { seed: recipe.seed });
  logger.info(`BertForSequenceClassification (${mlmDir ? `encoder from ${path.basename(mlmDir)}` : "random init"}): ${(model.numParameters() / 1e6).toFixed(2)}M parameters, backend ${backend}`);
  const train = oversampleOos(subset(data.train, recipe.subset), recipe.oosOversample);
  const trainer = new Trainer({
    model,
    tokenizer,
    args: { ...recipeArgs(runDirOption ?? runDir("teacher"), recipe), labelSmoothingFactor: recipe.labelSmoothingFactor, loggingSteps: 50 },
    trainDataset: tokenizeDataset(train, tokenizer, MAX_LENGTH),
    evalDataset: tokenizeDataset(subset(data.validation, Math.ceil(recipe.subset / 4)), tokenizer, MAX_LENGTH),
    computeMetrics: computeAccuracy,
    tokenMaskProb: recipe.tokenMaskProb,
  });
  const trainOutput = await trainer.train({ resumeFromCheckpoint: resume || undefined });
  return finish({ model, tokenizer, trainer, data: recipe.subset ? { ...data, validation: subset(data.validation, Math.ceil(recipe.subset / 4)), test: subset(data.test, recipe.subset) } : data, out, backend, recipe: { ...recipe }, extra: { init: mlmDir ? path.basename(mlmDir) : "random", trainOutput } });
}

export interface StudentRecipe {
  numTrainEpochs: number;
  learningRate: number;
  perDeviceTrainBatchSize: number;
  warmupRatio: number;
  weightDecay: number;
  alpha: number;
  temperature: number;
  seed: number;
  subset: number;
  /**
   * How many times each `oos` training row is seen per epoch (1 = once).
   * `oos` is 1.6% of CLINC150's training split but 18% of its test split, and
   * its queries are diverse, so models under-predict it; repeating its rows
   * raises the class's prior. Both students use the same value, so the
   * "DistilBERT" vs "Distillation" comparison stays like for like.
   */
  oosOversample: number;
  /** Threads that share each batch (cached teacher logits travel with the rows). */
  dataParallelWorkers: number;
  /**
   * Whom the student learns from: the BERT teacher alone, or an ensemble of
   * the teacher and the bag-of-words baseline (multi-teacher distillation),
   * its weight picked on validation.
   */
  teacher: "bert" | "ensemble";
  /**
   * Synthetic out-of-scope rows made from the training text (`augmentOos`:
   * in-scope carrier phrases with out-of-scope topics, spliced out-of-scope
   * queries) added to the training split; 0 adds none. Optional: older
   * reports lack it.
   */
  oosAugment?: number;
  /**
   * Probability the teacher's soft target moves to `oos` on rows labelled
   * `oos` (`OosTargetTeacher`); 0 keeps the teacher's targets.
   */
  oosTargetMass?: number;
  /**
   * A wide part for the student (wide and deep): this many hashed token
   * n-gram buckets of `wideDim` floats whose logits add to the transformer's
   * (lib/models/wideNgrams.ts); 0 or absent for none.
   */
  wideNgramBuckets?: number;
  /** Width of each wide bucket (default 32). */
  wideDim?: number;
}

/**
 * The training split a student recipe sees: the rows (a subset when asked),
 * the oos rows repeated `oosOversample` times, plus `oosAugment` synthetic
 * out-of-scope rows (none without an oos class). @internal
 *
 * @example
 * studentTrainSplit(loadClinc(), { subset: 0, oosOversample: 4, oosAugment: 1000, seed: 42 }).length; // 17000
 */
export function studentTrainSplit(data: DatasetDict, recipe: Pick<StudentRecipe, "subset" | "oosOversample" | "oosAugment" | "seed">): Dataset<IntentRow> {
  const train = subset(data.train, recipe.subset);
  const oversampled = oversampleOos(train, recipe.oosOversample);
  const oos = oosId(data);
  if (!recipe.oosAugment || oos === undefined) return oversampled;
  const extra = augmentOos(train, { count: recipe.oosAugment, oosId: oos, seed: recipe.seed });
  logger.info(`Out-of-scope augmentation: ${extra.length} synthetic rows from the training text${extra.length ? ` (e.g. "${extra.at(0).text}")` : ""}`);
  return concatenateDatasets([oversampled, extra]);
}

/**
 * The teacher a student distils from with the recipe's explicit
 * out-of-scope targets (`oosTargetMass` > 0), or the teacher itself. @internal
 *
 * @example
 * withOosTargets(ensemble, { oosTargetMass: 0.5 }, loadClinc()); // an OosTargetTeacher moving half of each oos row's target to oos
 */
export function withOosTargets(teacher: SequenceClassificationModel, recipe: Pick<StudentRecipe, "oosTargetMass">, data: DatasetDict): SequenceClassificationModel {
  const oos = oosId(data);
  if (!recipe.oosTargetMass || oos === undefined) return teacher;
  return new OosTargetTeacher(teacher, { oosId: oos, mass: recipe.oosTargetMass });
}

/**
 * The recipe's student, initialised from the teacher (with the recipe's wide part, if any). @internal
 *
 * @example recipeStudent(teacher, { seed: 42, wideNgramBuckets: 2048, wideDim: 32 }).config.wide_ngram_buckets; // 2048
 */
export function recipeStudent(teacher: PreTrainedModel, recipe: Pick<StudentRecipe, "seed" | "wideNgramBuckets" | "wideDim">): DistilBertForSequenceClassification {
  const wide = recipe.wideNgramBuckets ? { wide_ngram_buckets: recipe.wideNgramBuckets, wide_dim: recipe.wideDim ?? 32 } : {};
  return studentInit(teacher, { init: "distilbert", seed: recipe.seed, config: wide });
}

/**
 * The recipe of the shipped students (`distilbert-clinc`, `distilbert-clinc-distilled`); `trainStudent` options override its fields.
 *
 * @example
 * STUDENT_RECIPE.teacher; // "ensemble": the students distil from the teacher + bag-of-words ensemble
 * await trainStudent("distill", { ...STUDENT_RECIPE, temperature: 4, out: "outputs/models/distilbert-t4" });
 */
export const STUDENT_RECIPE: StudentRecipe = { numTrainEpochs: 6, learningRate: 5e-4, perDeviceTrainBatchSize: 64, warmupRatio: 0.1, weightDecay: 0.01, alpha: 0.5, temperature: 2, seed: 42, subset: 0, oosOversample: 4, dataParallelWorkers: 2, teacher: "ensemble" };

/**
 * The teacher + bag-of-words ensemble for multi-teacher distillation: the
 * bag-of-words weight (0 to 1 by 0.1, mixing probabilities) that maximises
 * validation accuracy, with the teacher alone (weight 0) as a candidate.
 *
 * @example
 * const { model, bowWeight } = await ensembleTeacher(teacher, modelPath("bow-clinc"), loadClinc(), tokenizer);
 * bowWeight; // 0.5 for the shipped teacher and bag-of-words model (validation accuracy 0.926, teacher alone 0.896)
 */
export async function ensembleTeacher(teacher: PreTrainedModel, bowDir: string, data: DatasetDict, tokenizer: BertTokenizer): Promise<{ model: EnsembleForSequenceClassification; bowWeight: number; validationAccuracy: number; teacherValidationAccuracy: number }> {
  const bow = BagOfWordsClassifier.fromPretrained(bowDir);
  const texts = data.validation.column("text");
  const labels = data.validation.column("intent");
  const logitsOf = async (m: SequenceClassificationModel) => pipeline("text-classification", m, { tokenizer }).logits(texts, { batchSize: 128 });
  const [t, b] = [await logitsOf(teacher), await logitsOf(bow)];
  const accuracy = (rows: ArrayLike<number>[]) => intentReport(rows, labels, undefined).accuracy;
  let best = { weight: 0, accuracy: accuracy(t) };
  const teacherAccuracy = best.accuracy;
  for (let k = 1; k <= 10; k++) {
    const w = k / 10;
    const mixed = t.map((row, i) => combineLogits([row, b[i]], [1 - w, w], "probabilities", row.length));
    const a = accuracy(mixed);
    if (a > best.accuracy) best = { weight: w, accuracy: a };
  }
  logger.info(`Ensemble teacher: bag-of-words weight ${best.weight} (validation accuracy ${best.accuracy.toFixed(4)}, teacher alone ${teacherAccuracy.toFixed(4)})`);
  return { model: new EnsembleForSequenceClassification([teacher, bow], { weights: [1 - best.weight, best.weight], combine: "probabilities" }), bowWeight: best.weight, validationAccuracy: best.accuracy, teacherValidationAccuracy: teacherAccuracy };
}

/**
 * The model a student distils from, as a recipe's `teacher` names it: the BERT
 * teacher, or the teacher + bag-of-words ensemble (from `bowDir`, by default
 * the shipped `bow-clinc`). Returns it with what the training report records
 * of the ensemble, and a `dispose` that frees the bag-of-words member (the
 * BERT teacher stays the caller's).
 *
 * @example
 * const teaching = await distillationTeacher("ensemble", teacher, data, tokenizer);
 * const trainer = new DistillationTrainer({ model: student, teacherModel: teaching.model, tokenizer, args, trainDataset });
 * teaching.dispose(); // after training; `teacher` stays yours to dispose
 */
export async function distillationTeacher(kind: "bert" | "ensemble", bert: PreTrainedModel, data: DatasetDict, tokenizer: BertTokenizer, bowDir?: string): Promise<{ model: SequenceClassificationModel; report: { ensemble?: { bagOfWordsWeight: number; combine: "probabilities"; validationAccuracy: number; teacherValidationAccuracy: number } }; dispose(): void }> {
  if (kind !== "bert" && kind !== "ensemble") throw new Error(`teacher must be "bert" or "ensemble", got ${JSON.stringify(kind)}`);
  if (kind === "bert") return { model: bert, report: {}, dispose: () => undefined };
  const e = await ensembleTeacher(bert, bowDir ?? modelPath("bow-clinc"), data, tokenizer);
  return {
    model: e.model,
    report: { ensemble: { bagOfWordsWeight: e.bowWeight, combine: "probabilities", validationAccuracy: e.validationAccuracy, teacherValidationAccuracy: e.teacherValidationAccuracy } },
    dispose: () => e.model.members[1].dispose(),
  };
}

/**
 * Trains one of the chapter's students from a teacher folder: "alone"
 * (alpha = 1, the "DistilBERT" row) or "distill" (the "Distillation" row).
 * Both start DistilBERT-style from the teacher.
 *
 * @example
 * const { dir, test } = await trainStudent("distill", { teacherDir: modelPath("bert-clinc-teacher"), out: "outputs/models/distilbert-clinc-distilled" });
 * test.accuracy; // ≈ 0.85 on CLINC150's test split (the shipped student: 0.8509)
 */
export async function trainStudent(mode: "alone" | "distill", options: Partial<StudentRecipe> & { dataset?: DatasetDict; out?: string; teacherDir?: string; bowDir?: string; modelName?: string } = {}): Promise<RecipeResult> {
  const backend = await initBackend();
  const { dataset, out: outOption, teacherDir: teacherOption, bowDir: _bowDir, modelName, ...overrides } = options;
  const recipe: StudentRecipe = { ...STUDENT_RECIPE, ...overrides, ...(mode === "alone" ? { alpha: 1 } : {}) };
  // The model's name (its log line and run folder): the tuned student's retrain names itself, so it never writes into the distilled student's run.
  const name = modelName ?? (mode === "alone" ? "distilbert-clinc" : "distilbert-clinc-distilled");
  const out = outOption ?? path.join(MODELS_DIR, name);
  const data = dataset ?? loadClinc();
  const teacherDir = teacherOption ?? modelPath("bert-clinc-teacher");
  const teacher = AutoModelForSequenceClassification.fromPretrained(teacherDir, { quiet: true });
  const tokenizer = BertTokenizer.fromPretrained(teacherDir);
  const student = recipeStudent(teacher, recipe);
  logger.info(`Student ${workbookModelName(name)}: ${student.spec.layers} layers, ${(student.numParameters() / 1e6).toFixed(2)}M parameters (teacher ${(teacher.numParameters() / 1e6).toFixed(2)}M); backend ${backend}`);
  const teaching = await distillationTeacher(mode === "distill" ? recipe.teacher : "bert", teacher, data, tokenizer, options.bowDir);
  const trainer = new DistillationTrainer({
    model: student,
    teacherModel: mode === "distill" ? withOosTargets(teaching.model, recipe, data) : teaching.model,
    tokenizer,
    cacheTeacherLogits: true,
    args: { ...recipeArgs(runDir(name), recipe), alpha: recipe.alpha, temperature: recipe.temperature },
    trainDataset: tokenizeDataset(studentTrainSplit(data, recipe), tokenizer, MAX_LENGTH),
    evalDataset: tokenizeDataset(subset(data.validation, recipe.subset), tokenizer, MAX_LENGTH),
    computeMetrics: computeAccuracy,
  });
  const trainOutput = await trainer.train();
  teacher.dispose();
  teaching.dispose();
  return finish({ model: student, tokenizer, trainer, data: recipe.subset ? { ...data, validation: subset(data.validation, recipe.subset), test: subset(data.test, recipe.subset) } : data, out, backend, recipe: { mode, init: "distilbert", ...recipe }, extra: { teacher: path.basename(teacherDir), ...teaching.report, trainOutput } });
}


/**
 * The chapter's search space for the distilled student (HF's hp_space in the book).
 *
 * @example
 * const best = await trainer.hyperparameterSearch({ nTrials: 20, direction: "maximize", hpSpace: chapterHpSpace, computeObjective: (m) => m.evalAccuracy });
 * best.hyperparameters; // e.g. { numTrainEpochs: 10, alpha: 0.038, temperature: 8 } (the shipped tuned student's)
 */
export function chapterHpSpace(trial: Trial): { numTrainEpochs: number; alpha: number; temperature: number } {
  return {
    numTrainEpochs: trial.suggestInt("numTrainEpochs", 5, 10),
    alpha: trial.suggestFloat("alpha", 0, 1),
    temperature: trial.suggestInt("temperature", 2, 20),
  };
}

/**
 * The distilled student's search space with trials of `epochs[0]` to `epochs[1]` epochs (alpha 0–1, temperature 2–20 as the chapter's).
 *
 * @example
 * const hpSpace = studentHpSpace([6, 9]); // the default profile's trials for a student whose recipe trains 6 epochs
 * studentHpSpace([5, 10]); // draws as chapterHpSpace
 */
export function studentHpSpace(epochs: readonly [number, number]): (trial: Trial) => { numTrainEpochs: number; alpha: number; temperature: number } {
  const [lo, hi] = epochs;
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && lo <= hi)) throw new Error(`studentHpSpace: epochs must be integers 1 <= low <= high, got [${lo}, ${hi}]`);
  return (trial) => ({
    numTrainEpochs: trial.suggestInt("numTrainEpochs", lo, hi),
    alpha: trial.suggestFloat("alpha", 0, 1),
    temperature: trial.suggestInt("temperature", 2, 20),
  });
}

export interface StudentSearch {
  /** Trials in the study in all (finished ones in a resumed journal count). */
  nTrials: number;
  seed: number;
  /** Pruner: MedianPruner with these (Optuna's defaults would be 5 and 0). */
  prunerStartupTrials: number;
  prunerWarmupEpochs: number;
  /** Training rows of the trials and the retrain (a seeded subset, which also shrinks the retrain's validation and test splits), or 0 for all. */
  subset: number;
  dataParallelWorkers: number;
  /** Epochs a trial may draw (the chapter's 5 to 10). */
  epochs: readonly [number, number];
  /** Validation rows that score each trial (a seeded subset), or 0 for the subset's (all rows without a subset). */
  validationRows: number;
  /** The best trial is retrained for at least this many epochs (the untuned student's, so the tuned one does not train less). */
  minFinalEpochs: number;
  /** TPE's random trials before it models the good ones (Optuna's default 10, which a search of a few trials never leaves). */
  samplerStartupTrials: number;
}

/**
 * The study name of the chapter's search (the shipped journal's).
 *
 * @example await loadStudy({ studyName: CHAPTER_STUDY_NAME, storage: `journal:${path.join(modelPath("distilbert-clinc-tuned"), "study.jsonl")}` });
 */
export const CHAPTER_STUDY_NAME = "distilbert-clinc-distillation";

/**
 * The search behind the shipped tuned student (`distilbert-clinc-tuned`); `tuneStudent` options override its fields.
 *
 * @example
 * STUDENT_SEARCH.nTrials; // 20
 * await tuneStudent({ ...STUDENT_SEARCH, nTrials: 4, subset: 1000, out: "outputs/models/tuned-check" }); // a quick search
 */
export const STUDENT_SEARCH: StudentSearch = { nTrials: 20, seed: 42, prunerStartupTrials: 5, prunerWarmupEpochs: 2, subset: 0, dataParallelWorkers: 2, epochs: [5, 10], validationRows: 0, minFinalEpochs: 0, samplerStartupTrials: 10 };

/**
 * The chapter's hyperparameter search for the distilled student: the
 * DistillationTrainer with `modelInit` (DistilBERT-style from the teacher),
 * the book's space (epochs 5–10 unless `epochs`, alpha 0–1, temperature
 * 2–20), validation accuracy maximised, TPE with a median pruner, every trial
 * in a journal file (so a re-run resumes; another `studyName` is another
 * search), then the student retrained with the best hyperparameters (for at
 * least `minFinalEpochs`) by `trainStudent` and written with the study's
 * journal and best parameters. Returns the tuned student and the search's
 * figures. The notebooks pass a searchPlan's `search` and `studyName`.
 *
 * @example
 * const { bestRun, searchSeconds, test } = await tuneStudent({ out: "outputs/models/distilbert-clinc-tuned" }); // resumes from its study journal
 * await tuneStudent({ ...plan.search, studyName: plan.studyName, dataset: data, out: tunedStudentDir() }); // a search scaled to your data (searchPlan)
 * bestRun.hyperparameters; // e.g. { numTrainEpochs: 10, alpha: 0.038, temperature: 8 } (the shipped run's)
 */
export async function tuneStudent(options: Partial<StudentSearch> & { dataset?: DatasetDict; out?: string; teacherDir?: string; bowDir?: string; journal?: string; studyName?: string } = {}): Promise<RecipeResult & { bestRun: BestRun; study: Study; searchSeconds: number }> {
  const backend = await initBackend();
  const { dataset, out: outOption, teacherDir: teacherOption, bowDir: bowOption, journal: journalOption, studyName: studyOption, ...overrides } = options;
  const search: StudentSearch = { ...STUDENT_SEARCH, ...overrides };
  const hpSpace = studentHpSpace(search.epochs);
  const data = dataset ?? loadClinc();
  const out = outOption ?? path.join(MODELS_DIR, "distilbert-clinc-tuned");
  const teacherDir = teacherOption ?? modelPath("bert-clinc-teacher");
  // Another search (another space or other rows) keeps its own study and journal: a resumed journal only continues the same search.
  const studyName = studyOption ?? CHAPTER_STUDY_NAME;
  const journal = journalOption ?? path.join(runDir("distilbert-clinc-tuned"), studyName === CHAPTER_STUDY_NAME ? "study.jsonl" : `${studyName}.jsonl`);
  const teacher = AutoModelForSequenceClassification.fromPretrained(teacherDir, { quiet: true });
  const tokenizer = BertTokenizer.fromPretrained(teacherDir);
  const recipe = STUDENT_RECIPE;
  // The students' teacher: the BERT teacher, or (recipe.teacher "ensemble") it and the bag-of-words baseline.
  const teaching = await distillationTeacher(recipe.teacher, teacher, data, tokenizer, bowOption);
  const trainer = new DistillationTrainer({
    modelInit: () => recipeStudent(teacher, recipe),
    teacherModel: withOosTargets(teaching.model, recipe, data),
    tokenizer,
    cacheTeacherLogits: true,
    args: { ...recipeArgs(runDir("distilbert-clinc-search"), { ...recipe, dataParallelWorkers: search.dataParallelWorkers }), saveStrategy: "no", loadBestModelAtEnd: false, alpha: recipe.alpha, temperature: recipe.temperature },
    trainDataset: tokenizeDataset(studentTrainSplit(data, { ...recipe, subset: search.subset }), tokenizer, MAX_LENGTH),
    evalDataset: tokenizeDataset(subset(data.validation, search.validationRows || search.subset), tokenizer, MAX_LENGTH),
    computeMetrics: computeAccuracy,
  });
  // nTrials is the study's total, as Optuna's MaxTrialsCallback counts: a search resumed from its journal runs only the trials it lacks.
  const finished = fs.existsSync(journal) ? (await loadStudy({ studyName, storage: `journal:${journal}` }).catch(() => undefined))?.trials.filter((t) => t.state === "COMPLETE" || t.state === "PRUNED").length ?? 0 : 0;
  if (finished > 0) logger.info(`Resuming the search in ${journal}: ${finished} trials finished, ${Math.max(0, search.nTrials - finished)} to go`);
  const start = performance.now();
  const best = await trainer.hyperparameterSearch({
    nTrials: Math.max(0, search.nTrials - finished),
    direction: "maximize",
    hpSpace,
    computeObjective: (m) => m.evalAccuracy,
    storage: `journal:${journal}`,
    studyName,
    loadIfExists: true,
    sampler: new TPESampler({ seed: search.seed, nStartupTrials: search.samplerStartupTrials }),
    pruner: new MedianPruner({ nStartupTrials: search.prunerStartupTrials, nWarmupSteps: search.prunerWarmupEpochs }),
  });
  // The search's wall time from its trials (first start to last end), so a search resumed from its journal counts every session.
  const times = best.study.trials.flatMap((t) => [t.datetimeStart?.getTime(), t.datetimeComplete?.getTime()]).filter((v): v is number => v !== undefined);
  const searchSeconds = times.length ? (Math.max(...times) - Math.min(...times)) / 1000 : (performance.now() - start) / 1000;
  trainer.model?.dispose();
  teacher.dispose();
  teaching.dispose();
  logger.info(`Best run ${best.runId}: validation accuracy ${best.objective.toFixed(4)} with ${JSON.stringify(best.hyperparameters)}`);
  const hp = best.hyperparameters as { numTrainEpochs: number; alpha: number; temperature: number };
  const retrainEpochs = Math.max(hp.numTrainEpochs, search.minFinalEpochs);
  if (retrainEpochs > hp.numTrainEpochs) logger.info(`Retraining for ${retrainEpochs} epochs (the best trial ran ${hp.numTrainEpochs}): no fewer than the untuned student`);
  const result = await trainStudent("distill", { modelName: "distilbert-clinc-tuned", dataset: data, teacherDir, bowDir: bowOption, out, numTrainEpochs: retrainEpochs, alpha: hp.alpha, temperature: hp.temperature, subset: search.subset, dataParallelWorkers: search.dataParallelWorkers });
  // The study travels with the model: its journal, and what the search cost and saved.
  fs.copyFileSync(journal, path.join(out, "study.jsonl"));
  const trials = best.study.trials;
  const epochsRun = trials.reduce((a, t) => a + Object.keys(t.intermediateValues).length, 0);
  const epochsAsked = trials.reduce((a, t) => a + Number(t.params.numTrainEpochs ?? 0), 0);
  const reportFile = path.join(out, "training_report.json");
  const report = JSON.parse(fs.readFileSync(reportFile, "utf8"));
  writeJsonAtomic(reportFile, {
    ...report,
    hyperparameterSearch: {
      search,
      studyName,
      space: { numTrainEpochs: search.epochs, alpha: [0, 1], temperature: [2, 20] },
      retrainEpochs,
      objective: "validation accuracy (argmax)",
      bestRun: { runId: best.runId, objective: best.objective, hyperparameters: best.hyperparameters },
      trials: trials.length,
      pruned: trials.filter((t) => t.state === "PRUNED").length,
      epochsRun,
      epochsAsked,
      searchSeconds,
      journal: "study.jsonl",
    },
  });
  return { ...result, bestRun: { runId: best.runId, objective: best.objective, hyperparameters: best.hyperparameters }, study: best.study, searchSeconds };
}
