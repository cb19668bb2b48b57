// The recipes that produce the shipped checkpoints, shared by the npm scripts
// (train:teacher, train:students) and the notebooks' full profile.
import * as path from "node:path";
import { Dataset, concatenateDatasets, loadClinc } from "../data";
import type { IntentRow } from "../data/intents";
import { BertTokenizer } from "../tokenizers";
import { AutoModelForSequenceClassification, BertForSequenceClassification, PreTrainedModel, labelMaps } from "../models";
import { MODELS_DIR, modelPath } from "./hub";
import { Trainer, computeAccuracy, tokenizeDataset } from "../training";
import { DistillationTrainer, studentInit } from "../distillation";
import { IntentReport, intentReport } from "../evaluation";
import { writeJsonAtomic } from "../utils/fs";
import { BackendName, initBackend } from "../backend";
import { logger } from "../utils/log";

export interface RecipeResult {
  dir: string;
  model: PreTrainedModel;
  test: IntentReport;
  secondsPerEpoch: number;
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
  /** Train on a random subset (quick checks only; 0 = all rows). */
  subset: number;
}

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
  subset: 0,
};

const MAX_LENGTH = 64;

/** TrainingArguments both recipes share: evaluate and save each epoch, keep the best by validation accuracy. */
function recipeArgs(outputDir: string, r: { numTrainEpochs: number; learningRate: number; perDeviceTrainBatchSize: number; warmupRatio: number; weightDecay: number; seed: number }) {
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
  };
}

function saveResult(model: PreTrainedModel, tokenizer: BertTokenizer, trainer: Trainer, out: string, extra: Record<string, unknown>, test: IntentReport, backend: BackendName): RecipeResult {
  model.savePretrained(out);
  tokenizer.savePretrained(out);
  const epochs = Math.max(1e-9, trainer.state.epoch);
  const runtime = Number(trainer.state.logHistory.at(-1)?.trainRuntime ?? 0);
  const secondsPerEpoch = runtime / epochs;
  writeJsonAtomic(path.join(out, "training_report.json"), { backend, ...extra, secondsPerEpoch, bestValidationAccuracy: trainer.state.bestMetric, test, logHistory: trainer.state.logHistory });
  logger.info(`Test accuracy ${test.accuracy.toFixed(4)} | in-scope accuracy ${test.inScopeAccuracy.toFixed(4)} | oos recall ${test.oosRecall.toFixed(4)}`);
  logger.info(`Saved ${out}`);
  return { dir: out, model, test, secondsPerEpoch };
}

/**
 * Trains the "BERT baseline" teacher from scratch: a 4-layer, 256-wide
 * BertForSequenceClassification on CLINC150's training split, best epoch on
 * validation, written as an HF-layout folder with its training report.
 */
export async function trainTeacher(options: Partial<TeacherRecipe> & { out?: string; runDir?: string; resume?: boolean } = {}): Promise<RecipeResult> {
  const backend = await initBackend();
  const { out: _out, runDir: _runDir, resume: _resume, ...overrides } = options;
  const recipe: TeacherRecipe = { ...TEACHER_RECIPE, ...overrides };
  const out = options.out ?? path.join(MODELS_DIR, "bert-clinc-teacher");
  const clinc = loadClinc();
  const names = clinc.train.features.intent.names;
  const trainRows = recipe.subset ? clinc.train.shuffle(0).head(recipe.subset) : clinc.train;
  const evalRows = recipe.subset ? clinc.validation.shuffle(0).head(Math.ceil(recipe.subset / 4)) : clinc.validation;
  const tokenizer = BertTokenizer.bertBaseUncased({ modelMaxLength: MAX_LENGTH }).trimmedTo(clinc.train.column("text"));
  logger.info(`Vocabulary: ${tokenizer.vocabSize} tokens (${tokenizer.vocabNote})`);
  const model = BertForSequenceClassification.fromConfig(
    { vocab_size: tokenizer.vocabSize, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024, max_position_embeddings: MAX_LENGTH, hidden_dropout_prob: recipe.hiddenDropout, attention_probs_dropout_prob: 0.1, ...labelMaps(names) },
    { seed: recipe.seed },
  );
  logger.info(`BertForSequenceClassification: ${(model.numParameters() / 1e6).toFixed(2)}M parameters, backend ${backend}`);
  const trainer = new Trainer({
    model,
    tokenizer,
    args: {
      ...recipeArgs(options.runDir ?? path.resolve(__dirname, "..", "..", "runs", "teacher"), recipe),
      labelSmoothingFactor: recipe.labelSmoothingFactor,
      loggingSteps: 50,
      dataParallelWorkers: recipe.dataParallelWorkers,
    },
    trainDataset: tokenizeDataset(trainRows, tokenizer, MAX_LENGTH),
    evalDataset: tokenizeDataset(evalRows, tokenizer, MAX_LENGTH),
    computeMetrics: computeAccuracy,
    tokenMaskProb: recipe.tokenMaskProb,
  });
  const trainOutput = await trainer.train({ resumeFromCheckpoint: options.resume || undefined });
  const test = await trainer.predict(tokenizeDataset(recipe.subset ? clinc.test.head(recipe.subset) : clinc.test, tokenizer, MAX_LENGTH));
  return saveResult(model, tokenizer, trainer, out, { recipe, trainOutput }, intentReport(test.predictions, test.labelIds, names.indexOf("oos")), backend);
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
}

/** The training split with every `oos` row repeated `factor` times in all. */
export function oversampleOos(train: Dataset<IntentRow>, factor: number): Dataset<IntentRow> {
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`oversampleOos: factor must be an integer >= 1, got ${factor}`);
  const oos = train.features.intent.str2int("oos");
  const rows = train.filter((r) => r.intent === oos);
  return concatenateDatasets([train, ...Array.from({ length: factor - 1 }, () => rows)]);
}

export const STUDENT_RECIPE: StudentRecipe = { numTrainEpochs: 6, learningRate: 5e-4, perDeviceTrainBatchSize: 64, warmupRatio: 0.1, weightDecay: 0.01, alpha: 0.5, temperature: 2, seed: 42, subset: 0, oosOversample: 4, dataParallelWorkers: 2 };

/**
 * Trains one of the chapter's students from the shipped teacher: "alone"
 * (alpha = 1, the "DistilBERT" row) or "distill" (the "Distillation" row).
 * Both start DistilBERT-style from the teacher.
 */
export async function trainStudent(mode: "alone" | "distill", options: Partial<StudentRecipe> & { out?: string; teacherDir?: string } = {}): Promise<RecipeResult> {
  const backend = await initBackend();
  const { out: _out, teacherDir: _teacherDir, ...overrides } = options;
  const recipe: StudentRecipe = { ...STUDENT_RECIPE, ...overrides, ...(mode === "alone" ? { alpha: 1 } : {}) };
  const name = mode === "alone" ? "distilbert-clinc" : "distilbert-clinc-distilled";
  const out = options.out ?? path.join(MODELS_DIR, name);
  const clinc = loadClinc();
  const names = clinc.train.features.intent.names;
  const teacherDir = options.teacherDir ?? modelPath("bert-clinc-teacher");
  const teacher = AutoModelForSequenceClassification.fromPretrained(teacherDir, { quiet: true });
  const tokenizer = BertTokenizer.fromPretrained(teacherDir);
  const student = studentInit(teacher, { init: "distilbert", seed: recipe.seed });
  logger.info(`Student ${name}: ${student.spec.layers} layers, ${(student.numParameters() / 1e6).toFixed(2)}M parameters (teacher ${(teacher.numParameters() / 1e6).toFixed(2)}M); backend ${backend}`);
  const sub = <T extends object>(ds: import("../data").Dataset<T>, n: number) => (recipe.subset ? ds.shuffle(0).head(n) : ds);
  const trainer = new DistillationTrainer({
    model: student,
    teacherModel: teacher,
    tokenizer,
    cacheTeacherLogits: true,
    args: { ...recipeArgs(path.resolve(__dirname, "..", "..", "runs", name), recipe), alpha: recipe.alpha, temperature: recipe.temperature, dataParallelWorkers: recipe.dataParallelWorkers },
    trainDataset: tokenizeDataset(oversampleOos(sub(clinc.train, recipe.subset), recipe.oosOversample), tokenizer, MAX_LENGTH),
    evalDataset: tokenizeDataset(sub(clinc.validation, recipe.subset), tokenizer, MAX_LENGTH),
    computeMetrics: computeAccuracy,
  });
  const trainOutput = await trainer.train();
  const test = await trainer.predict(tokenizeDataset(recipe.subset ? clinc.test.head(recipe.subset) : clinc.test, tokenizer, MAX_LENGTH));
  return saveResult(student, tokenizer, trainer, out, { recipe: { mode, init: "distilbert", ...recipe }, teacher: path.basename(teacherDir), trainOutput }, intentReport(test.predictions, test.labelIds, names.indexOf("oos")), backend);
}
