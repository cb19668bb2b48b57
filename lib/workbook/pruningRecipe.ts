// The recipe behind the shipped pruned student (npm run train:pruned, and
// notebook 06 under WORKBOOK_PROFILE=full or WORKBOOK_DATA): structured
// pruning of the best student while distilling from the teacher, in two
// steps, each fine-tuned and checked on validation:
//   1. attention heads and FFN neurons ranked by gate gradients of the
//      distillation loss (Michel et al. 2019) and removed, in rounds: each
//      round removes its share and re-scores the model the last one left
//      (one cut lost 1.2 points of test accuracy against its parent, two
//      rounds 0.2);
//   2. the embedding table cut to the tokens the training texts use often
//      (vocabulary pruning), the teacher reading its own tokenization.
// The result is a smaller dense model in HF layout (pruned_heads and the new
// intermediate_size in config.json) with its ONNX export and int8 copy.
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type { DatasetDict } from "../data/clinc";
import { BertTokenizer } from "../tokenizers";
import { AutoModelForSequenceClassification } from "../models";
import type { SequenceClassificationModel } from "../models/sequenceClassification";
import type { PrunedHeads } from "../models/config";
import { DataCollatorWithPadding, EncodedRow, TensorBatch, computeAccuracy, tokenizeDataset } from "../training";
import { DistillationTrainer } from "../distillation";
import { distillationLoss } from "../distillation/loss";
import { crossEntropy } from "../training/loss";
import { CrossTokenizerDistillationTrainer, pruneStructured, pruneVocabulary, selectHeadsToPrune, selectNeuronsToKeep, structuredImportance, vocabularyToKeep } from "../pruning";
import { exportOnnxFolder } from "../onnx";
import { initBackend } from "../backend";
import { loadClinc } from "../data";
import { logger } from "../utils/log";
import { MODELS_DIR, bestShippedModel, modelPath } from "./hub";
import { MAX_LENGTH, RecipeResult, StudentRecipe, distillationTeacher, finish, recipeArgs, runDir, studentTrainSplit, subset, withOosTargets } from "./recipes";

/** The students' recipe (the distillation after each step, with `numTrainEpochs` per step) plus what is pruned. */
export interface PruningRecipe extends StudentRecipe {
  /** Attention heads removed, ranked over all layers (each layer keeps at least one). */
  heads: number;
  /** FFN neurons kept in every layer. */
  ffnKeep: number;
  /** Step 2 keeps the tokens the training texts use at least this often (plus specials and ASCII characters); 0 skips the step. */
  vocabMinCount: number;
  /** Batches of 64 training rows that score the heads and neurons. */
  importanceBatches: number;
  /**
   * Step 1 in this many rounds (optional, 1 when absent): each removes its
   * share of `heads` and moves the FFN width evenly towards `ffnKeep`, with
   * the importance re-estimated on the model the previous round left and
   * `numTrainEpochs` of distillation after it. Gentler than one cut.
   */
  structuredRounds?: number;
}

/**
 * The recipe of the shipped pruned student (`distilbert-clinc-pruned`); `pruneStudent` options override its fields.
 *
 * @example
 * PRUNING_RECIPE.heads; // 4 heads removed in all, ffnKeep 320 neurons kept per layer, in 3 rounds
 * await pruneStudent({ heads: 2, out: "outputs/models/distilbert-clinc-pruned-2" }); // the rest as PRUNING_RECIPE
 */
export const PRUNING_RECIPE: PruningRecipe = {
  heads: 4,
  ffnKeep: 320,
  vocabMinCount: 8,
  numTrainEpochs: 4,
  learningRate: 3e-4,
  perDeviceTrainBatchSize: 64,
  warmupRatio: 0.1,
  weightDecay: 0.01,
  alpha: 0.5,
  temperature: 2,
  importanceBatches: 16,
  oosOversample: 4,
  dataParallelWorkers: 2,
  seed: 42,
  subset: 0,
  teacher: "ensemble",
  structuredRounds: 3,
};

/** What a structured-pruning run removed and what each step left. */
export interface PruningSteps {
  headImportance: number[][];
  prunedHeads: PrunedHeads;
  intermediateSize: { from: number; to: number };
  vocabulary: { from: number; to: number; minCount: number } | null;
  parameters: { student: number; afterHeadsAndNeurons: number; final: number };
  /** Validation accuracy (argmax) after step 1's fine-tuning (its last round's). */
  step1ValidationAccuracy: number;
  /** Step 1's rounds: the head scores each read (0 for heads already gone), what it removed, its validation accuracy after fine-tuning. */
  rounds: { headImportance: number[][]; prunedHeads: PrunedHeads; intermediateSize: number; parameters: number; validationAccuracy: number }[];
}

/**
 * Step 1's rounds: heads removed and FFN neurons kept in each, reaching
 * `heads` and `ffnKeep` at the last (heads spread as evenly as they go, the
 * FFN width stepping down linearly).
 *
 * @example
 * structuredRounds(4, 1024, 512, 2); // [{ heads: 2, ffnKeep: 768 }, { heads: 2, ffnKeep: 512 }]
 * structuredRounds(4, 1024, 512, 1); // [{ heads: 4, ffnKeep: 512 }]: the one cut
 */
export function structuredRounds(heads: number, ffn: number, ffnKeep: number, rounds: number): { heads: number; ffnKeep: number }[] {
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`pruneStudent: structuredRounds must be an integer >= 1, got ${rounds}`);
  if (!(Number.isInteger(ffnKeep) && ffnKeep >= 1 && ffnKeep <= ffn)) throw new Error(`pruneStudent: ffnKeep must be an integer in [1, ${ffn}] (the student's FFN width), got ${ffnKeep}`);
  return Array.from({ length: rounds }, (_, k) => ({
    heads: Math.round((heads * (k + 1)) / rounds) - Math.round((heads * k) / rounds),
    ffnKeep: Math.round(ffn - ((ffn - ffnKeep) * (k + 1)) / rounds),
  }));
}

/** Batches of training rows with the teacher's logits, for a distillation loss on the gates. */
function importanceBatches(teacher: SequenceClassificationModel, rows: readonly EncodedRow[], tokenizer: BertTokenizer, n: number, batchSize: number): { inputs: TensorBatch; teacher: tf.Tensor2D }[] {
  const collator = new DataCollatorWithPadding({ padTokenId: tokenizer.padTokenId });
  const count = Math.min(n, Math.floor(rows.length / batchSize));
  if (count < 1) throw new Error(`pruneStudent: need at least ${batchSize} training rows to score heads and neurons, got ${rows.length}`);
  return Array.from({ length: count }, (_, i) => {
    const inputs = collator.call(rows.slice(i * batchSize, (i + 1) * batchSize) as EncodedRow[]);
    return { inputs, teacher: tf.tidy(() => teacher.call(inputs).logits as tf.Tensor2D) };
  });
}

/**
 * Structured pruning of a student while distilling from its teacher (see
 * the file's header), written to `out` (`distilbert-clinc-pruned` by
 * default) with `onnx/model.onnx`, `onnx/model_quantized.onnx` and a
 * training report that records what each step removed.
 *
 * @example
 * const { steps, onnx, test } = await pruneStudent({ out: "outputs/models/distilbert-clinc-pruned" });
 * steps.prunedHeads; // e.g. { "0": [0, 1], "1": [1, 2] } (the shipped folder's)
 * onnx.quantized; // "outputs/models/distilbert-clinc-pruned/onnx/model_quantized.onnx"
 */
export async function pruneStudent(options: Partial<PruningRecipe> & { dataset?: DatasetDict; out?: string; studentDir?: string; teacherDir?: string; bowDir?: string; runName?: string } = {}): Promise<RecipeResult & { steps: PruningSteps; onnx: { fp32: string; quantized: string } }> {
  const backend = await initBackend();
  const { dataset, out: outOption, studentDir: studentOption, teacherDir: teacherOption, bowDir: bowOption, runName = "pruned", ...overrides } = options;
  const recipe: PruningRecipe = { ...PRUNING_RECIPE, ...overrides };
  const data = dataset ?? loadClinc();
  const out = outOption ?? path.join(MODELS_DIR, "distilbert-clinc-pruned");
  // The parent: the student with the higher validation accuracy (the tuned one when its search won).
  const studentDir = studentOption ?? bestShippedModel().dir;
  const teacherDir = teacherOption ?? modelPath("bert-clinc-teacher");
  const bert = AutoModelForSequenceClassification.fromPretrained(teacherDir, { quiet: true });
  const teacherTokenizer = BertTokenizer.fromPretrained(teacherDir);
  const teaching = await distillationTeacher(recipe.teacher, bert, data, teacherTokenizer, bowOption);
  // The students' out-of-scope options apply here too (none in the shipped recipe).
  const teacher = withOosTargets(teaching.model, recipe, data);
  const student = AutoModelForSequenceClassification.fromPretrained(studentDir, { quiet: true });
  const studentTokenizer = BertTokenizer.fromPretrained(studentDir);
  if (studentTokenizer.vocabSize !== teacherTokenizer.vocabSize) throw new Error(`pruneStudent: the student (${studentDir}, ${studentTokenizer.vocabSize} tokens) must share its teacher's tokenizer (${teacherDir}, ${teacherTokenizer.vocabSize} tokens)`);
  const train = studentTrainSplit(data, recipe);
  const validation = tokenizeDataset(subset(data.validation, recipe.subset), teacherTokenizer, MAX_LENGTH);
  const trainRows = tokenizeDataset(train, teacherTokenizer, MAX_LENGTH);
  const args = (name: string) => ({ ...recipeArgs(runDir(name), recipe), alpha: recipe.alpha, temperature: recipe.temperature });

  // Step 1: heads and FFN neurons, in one cut or in rounds (importance re-estimated each round).
  const rows = trainRows.shuffle(recipe.seed).rows;
  const plan = structuredRounds(recipe.heads, student.spec.ffn, recipe.ffnKeep, recipe.structuredRounds ?? 1);
  let step1 = student;
  let t1: DistillationTrainer | undefined;
  let importance: { heads: number[][]; neurons: number[][] } | undefined;
  const rounds: PruningSteps["rounds"] = [];
  for (const [k, round] of plan.entries()) {
    const batches = importanceBatches(teacher, rows, teacherTokenizer, recipe.importanceBatches, recipe.perDeviceTrainBatchSize);
    const teacherLogits = new Map(batches.map((b) => [b.inputs, b.teacher]));
    const scores = structuredImportance(step1, batches.map((b) => b.inputs), {
      loss: (o, inputs) => distillationLoss(crossEntropy(o.logits, inputs.labels, 0), o.logits, teacherLogits.get(inputs)!, recipe.alpha, recipe.temperature),
    });
    batches.forEach((b) => tf.dispose([b.teacher, ...Object.values(b.inputs)]));
    importance ??= scores; // the parent's scores, as the report has always shown
    const alreadyPruned = Array.from({ length: step1.spec.layers }, (_, i) => step1.spec.prunedHeads[i] ?? []);
    const heads = selectHeadsToPrune(scores.heads, { count: round.heads, alreadyPruned });
    const next = pruneStructured(step1, { heads, keepNeurons: selectNeuronsToKeep(scores.neurons, round.ffnKeep) });
    logger.info(`Step 1${plan.length > 1 ? `, round ${k + 1}/${plan.length}` : ""}: removed heads ${JSON.stringify(heads)}, FFN ${step1.spec.ffn} → ${round.ffnKeep} neurons per layer; ${(step1.numParameters() / 1e6).toFixed(2)}M → ${(next.numParameters() / 1e6).toFixed(2)}M parameters`);
    if (step1 !== student) step1.dispose();
    step1 = next;
    t1 = new DistillationTrainer({ model: step1, teacherModel: teacher, tokenizer: teacherTokenizer, cacheTeacherLogits: true, args: args(k === 0 ? `${runName}-step1` : `${runName}-step1-round${k + 1}`), trainDataset: trainRows, evalDataset: validation, computeMetrics: computeAccuracy });
    await t1.train();
    rounds.push({ headImportance: scores.heads, prunedHeads: heads, intermediateSize: round.ffnKeep, parameters: step1.numParameters(), validationAccuracy: t1.state.bestMetric ?? NaN });
  }
  const prunedHeads = (step1.config.pruned_heads ?? {}) as PrunedHeads;
  const step1Parameters = step1.numParameters();
  const step1ValidationAccuracy = rounds.at(-1)!.validationAccuracy;

  // Step 2: the vocabulary.
  let model = step1;
  let tokenizer = teacherTokenizer;
  let trainer: DistillationTrainer = t1!;
  let vocabulary: PruningSteps["vocabulary"] = null;
  if (recipe.vocabMinCount > 0) {
    const keep = vocabularyToKeep(teacherTokenizer, data.train.column("text"), { minCount: recipe.vocabMinCount });
    const pruned = pruneVocabulary(step1, teacherTokenizer, keep.tokens);
    vocabulary = { from: teacherTokenizer.vocabSize, to: pruned.tokenizer.vocabSize, minCount: recipe.vocabMinCount };
    logger.info(`Step 2: vocabulary ${vocabulary.from} → ${vocabulary.to} tokens (used at least ${recipe.vocabMinCount} times in the training texts, plus specials and ASCII characters); ${(pruned.model.numParameters() / 1e6).toFixed(2)}M parameters`);
    model = pruned.model;
    tokenizer = pruned.tokenizer;
    trainer = new CrossTokenizerDistillationTrainer({
      model,
      teacherModel: teacher,
      tokenizer,
      args: args(`${runName}-step2`),
      trainDataset: tokenizeDataset(train, tokenizer, MAX_LENGTH),
      teacherTrainDataset: trainRows,
      evalDataset: tokenizeDataset(subset(data.validation, recipe.subset), tokenizer, MAX_LENGTH),
      computeMetrics: computeAccuracy,
    });
    await trainer.train();
    step1.dispose();
  }
  const steps: PruningSteps = {
    headImportance: importance!.heads,
    prunedHeads,
    intermediateSize: { from: student.spec.ffn, to: recipe.ffnKeep },
    vocabulary,
    parameters: { student: student.numParameters(), afterHeadsAndNeurons: step1Parameters, final: model.numParameters() },
    step1ValidationAccuracy,
    rounds,
  };
  student.dispose();
  bert.dispose();
  teaching.dispose();
  const evalData = recipe.subset ? { ...data, validation: subset(data.validation, recipe.subset), test: subset(data.test, recipe.subset) } : data;
  const result = await finish({ model, tokenizer, trainer, data: evalData, out, backend, recipe: { ...recipe }, extra: { student: path.basename(studentDir), teacher: path.basename(teacherDir), ...teaching.report, pruning: steps } });
  // The deployment files: ONNX (one Attention block per layer with its own head count) and its int8 copy.
  const reloaded = AutoModelForSequenceClassification.fromPretrained(out, { quiet: true });
  const folder = exportOnnxFolder(reloaded, tokenizer, out);
  reloaded.dispose();
  return { ...result, steps, onnx: { fp32: folder.fp32, quantized: folder.quantized! } };
}
