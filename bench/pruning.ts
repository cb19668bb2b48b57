// Pruning on CLINC150 (npm run bench -- pruning), all from the shipped
// models: the distilled student is fine-tuned with distillation from the
// teacher while it is pruned.
//   1. Unstructured: magnitude and movement pruning at several sparsities
//      (cubic schedule), plus one soft-movement run: test accuracy, the
//      sparsity reached, and the model's size stored dense, sparse, and
//      sparse int8.
//   2. Structured: the shipped pruned student (npm run train:pruned: heads
//      and FFN neurons removed by gradient importance, then the vocabulary,
//      each step fine-tuned with distillation; PRUNING_RETRAIN=1 runs the
//      recipe here) measured against the student it came from and the
//      teacher: sizes, ONNX Runtime latency (one intra-op thread, the
//      pin-number query, alternating rounds, bench/latency.ts) and test
//      accuracy, plus step 1's architecture alone, and a control run of the
//      recipe without the vocabulary step for as many epochs.
// Every training is bounded by env knobs (the machine is shared):
//   PRUNING_EPOCHS (0.5)              epochs of each unstructured run
//   PRUNING_SPARSITIES (0.5,0.7,0.8,0.9), PRUNING_METHODS (magnitude,movement,softMovement)
//   PRUNING_RETRAIN (0)               1: run the pruning recipe instead of measuring the shipped model
//   PRUNING_PARTS (unstructured,structured), PRUNING_LR (3e-4)
//   PRUNING_SOFT_LAMBDA (20,60: one run each), PRUNING_SOFT_THRESHOLD (0.1), PRUNING_SOFT_SCALE (300): soft movement's λ, τ and score scale
//   PRUNING_CONTROL (1): also run the recipe without the vocabulary step, as many epochs in all, to tell the vocabulary's effect from the extra epochs'
import { distill } from "../lib/compression";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Dataset, loadClinc } from "../lib/data";
import type { IntentRow } from "../lib/data/intents";
import { AutoModelForSequenceClassification, PreTrainedModel } from "../lib/models";
import { BertTokenizer } from "../lib/tokenizers";
import { Trainer, tokenizeDataset } from "../lib/training";
import { DistillationTrainer } from "../lib/distillation";
import { pipeline } from "../lib/pipelines";
import { createModelForProvider, exportOnnxFolder } from "../lib/onnx";
import { OnnxPipeline } from "../lib/pipelines";
import { BenchmarkMetrics, OnnxPerformanceBenchmark } from "../lib/benchmark";
import { intentReport } from "../lib/evaluation";
import { tuneOosThreshold } from "../lib/pipelines/oos";
import { OUTPUTS_DIR, modelPath } from "../lib/workbook/hub";
import { MAX_LENGTH, OOS_LABEL, oversampleOos } from "../lib/workbook/recipes";
import { savedOosFallback } from "../lib/pipelines/textClassification";
import {
  PruningConfig,
  PruningCriterion,
  defaultPrunedParameters,
  modelSparsity,
  pruneStructured,
  sparseSize,
} from "../lib/pruning";
import { logger, setLogLevel } from "../lib/utils/log";
import { readJson, writeJsonAtomic } from "../lib/utils/fs";
import { PruningRecipe, PruningSteps, pruneStudent } from "../lib/workbook/pruningRecipe";
import { num, list } from "./env";
import { PIN_QUERY as QUERY, interleavedLatency } from "./latency";

const OUT = path.join(OUTPUTS_DIR, "bench-pruning");
const MB = 1024 * 1024;


interface Ctx {
  clinc: ReturnType<typeof loadClinc>;
  teacher: PreTrainedModel;
  tokenizer: BertTokenizer;
  studentDir: string;
  train: Dataset<IntentRow>;
  oosId: number;
  lr: number;
}

/** The distillation arguments every run shares: the students' recipe (α 0.5, T 2, batch 64), a fine-tuning learning rate, no checkpoints. */
function args(ctx: Ctx, name: string, epochs: number, workers = 1) {
  return { outputDir: path.join(os.tmpdir(), `bench-pruning-${name}`), numTrainEpochs: epochs, learningRate: ctx.lr, perDeviceTrainBatchSize: 64, perDeviceEvalBatchSize: 128, warmupRatio: 0.1, weightDecay: 0.01, maxLength: MAX_LENGTH, evaluationStrategy: "no" as const, saveStrategy: "no" as const, alpha: 0.5, temperature: 2, seed: 42, disableTqdm: true, dataParallelWorkers: workers };
}

/** The same arguments for a plain Trainer (evaluation only): no distillation fields. */
function evalArgs(ctx: Ctx, name: string) {
  const { alpha: _alpha, temperature: _temperature, ...plain } = args(ctx, name, 1);
  return plain;
}

/** Test (and validation) argmax accuracy of a TF.js model, from logits in batches. */
async function evaluate(trainer: Trainer, ctx: Ctx, tokenizer: BertTokenizer): Promise<{ test: number; validation: number; validationLogits: Float32Array[]; validationLabels: number[] }> {
  const test = await trainer.predict(tokenizeDataset(ctx.clinc.test, tokenizer, MAX_LENGTH), "test");
  const val = await trainer.predict(tokenizeDataset(ctx.clinc.validation, tokenizer, MAX_LENGTH), "validation");
  return { test: intentReport(test.predictions, test.labelIds, ctx.oosId).accuracy, validation: intentReport(val.predictions, val.labelIds, ctx.oosId).accuracy, validationLogits: val.predictions, validationLabels: val.labelIds };
}

/** Sizes of a model stored dense (float32 safetensors), sparsely (the smallest of CSR/bitmap per matrix) and sparsely in int8. */
function storageSizes(model: PreTrainedModel): { denseMb: number; sparseMb: number; sparseInt8Mb: number; encoderDenseMb: number; encoderSparseMb: number; encoderSparseInt8Mb: number } {
  const enc = new Set(defaultPrunedParameters(model));
  const encoder = new Map([...model.stateDict()].filter(([n]) => enc.has(n)));
  return {
    denseMb: sparseSize(model, { format: "dense" }) / MB,
    sparseMb: sparseSize(model, { format: "auto" }) / MB,
    sparseInt8Mb: sparseSize(model, { format: "auto", dtype: "int8" }) / MB,
    encoderDenseMb: sparseSize(encoder, { format: "dense" }) / MB,
    encoderSparseMb: sparseSize(encoder, { format: "auto" }) / MB,
    encoderSparseInt8Mb: sparseSize(encoder, { format: "auto", dtype: "int8" }) / MB,
  };
}

async function unstructured(ctx: Ctx, out: Record<string, number | string>): Promise<void> {
  const epochs = num("PRUNING_EPOCHS", 0.5);
  const sparsities = list("PRUNING_SPARSITIES", "0.5,0.7,0.8,0.9").map(Number);
  const methods = list("PRUNING_METHODS", "magnitude,movement,softMovement") as PruningCriterion[];
  const trainRows = tokenizeDataset(ctx.train, ctx.tokenizer, MAX_LENGTH);
  const steps = Math.ceil(Math.ceil(trainRows.length / 64) * epochs);
  out.unstructuredBudget = `${epochs} epoch(s) = ${steps} steps of 64 rows per run (${trainRows.length} training rows, oos x4), distillation α 0.5 T 2 from the teacher, lr ${ctx.lr}; cubic schedule from step 0 to ${Math.round(steps * 0.7)}, global ranking over the encoder's 12 linear weights`;
  // The unpruned student, for reference.
  {
    const student = AutoModelForSequenceClassification.fromPretrained(ctx.studentDir, { quiet: true });
    const trainer = new Trainer({ model: student, tokenizer: ctx.tokenizer, args: evalArgs(ctx, "eval") });
    const r = await evaluate(trainer, ctx, ctx.tokenizer);
    Object.assign(out, { unprunedStudentTestAccuracy: r.test, unprunedStudentValidationAccuracy: r.validation });
    for (const [k, v] of Object.entries(storageSizes(student))) out[`unprunedStudent${k[0].toUpperCase()}${k.slice(1)}`] = v;
    student.dispose();
  }
  const runs: { method: PruningCriterion; sparsity?: number; lambda?: number }[] = [];
  for (const m of methods) {
    if (m === "softMovement") for (const lambda of list("PRUNING_SOFT_LAMBDA", "20,60").map(Number)) runs.push({ method: m, lambda });
    else for (const s of sparsities) runs.push({ method: m, sparsity: s });
  }
  for (const run of runs) {
    const student = AutoModelForSequenceClassification.fromPretrained(ctx.studentDir, { quiet: true });
    const tag = run.sparsity === undefined ? `${run.method}Lambda${run.lambda}` : `${run.method}${Math.round(run.sparsity * 100)}`;
    const config =
      run.method === "softMovement"
        ? new PruningConfig({ pruningType: "softMovement", endStep: Math.round(steps * 0.7), pruningFrequency: 10, finalThreshold: num("PRUNING_SOFT_THRESHOLD", 0.1), regularizationLambda: run.lambda, scoreScale: num("PRUNING_SOFT_SCALE", 300) })
        : new PruningConfig({ pruningType: run.method, targetSparsity: run.sparsity, endStep: Math.round(steps * 0.7), pruningFrequency: run.method === "magnitude" ? 5 : 10, pruningScope: "global" });
    const trainer = new DistillationTrainer({ model: student, teacherModel: ctx.teacher, tokenizer: ctx.tokenizer, cacheTeacherLogits: true, trainDataset: trainRows, args: args(ctx, tag, epochs) });
    const start = Date.now();
    await distill(trainer, config);
    const seconds = (Date.now() - start) / 1000;
    const r = await evaluate(trainer, ctx, ctx.tokenizer);
    const sizes = storageSizes(student);
    const sparsity = modelSparsity(student);
    logger.info(`${tag}: sparsity ${(sparsity * 100).toFixed(1)}%, test accuracy ${r.test.toFixed(4)} (${seconds.toFixed(0)} s); sizes dense ${sizes.denseMb.toFixed(2)} MB, sparse ${sizes.sparseMb.toFixed(2)} MB, sparse int8 ${sizes.sparseInt8Mb.toFixed(2)} MB`);
    Object.assign(out, { [`${tag}Sparsity`]: sparsity, [`${tag}TestAccuracy`]: r.test, [`${tag}ValidationAccuracy`]: r.validation, [`${tag}TrainSeconds`]: seconds });
    for (const [k, v] of Object.entries(sizes)) out[`${tag}${k[0].toUpperCase()}${k.slice(1)}`] = v;
    const dir = path.join(OUT, `distilbert-clinc-${tag}`);
    student.savePretrained(dir);
    ctx.tokenizer.savePretrained(dir);
    writeJsonAtomic(path.join(dir, "pruning_history.json"), config.history);
    student.dispose();
  }
}

/** A pipeline's accuracy on the test set with its saved fallback (the default) and with plain argmax; in-scope accuracy and oos recall of the first. */
async function pipeAccuracy(pipe: { (t: readonly string[], o?: { batchSize?: number; oosThreshold?: number | null }): Promise<{ label: string }[][]> }, ctx: Ctx): Promise<{ saved: number; argmax: number; inScope: number; oosRecall: number }> {
  const names = ctx.clinc.test.features.intent;
  const texts = ctx.clinc.test.column("text");
  const labels = ctx.clinc.test.column("intent");
  const report = (preds: { label: string }[][]) => intentReport(preds.map((p) => names.str2int(p[0].label)), labels, ctx.oosId);
  const saved = report(await pipe(texts, { batchSize: 64 }));
  return { saved: saved.accuracy, argmax: report(await pipe(texts, { batchSize: 64, oosThreshold: null })).accuracy, inScope: saved.inScopeAccuracy ?? NaN, oosRecall: saved.oosRecall ?? NaN };
}

/** FFN neurons 0..keep-1 in every layer: a stand-in selection for models measured only for size and latency. */
function firstNeurons(layers: number, keep: number): number[][] {
  return Array.from({ length: layers }, () => Array.from({ length: keep }, (_, j) => j));
}

async function structured(ctx: Ctx, out: Record<string, number | string>): Promise<void> {
  const texts = ctx.clinc.test.column("text");
  // The shipped pruned student (npm run train:pruned), or PRUNING_RETRAIN=1: the recipe run here.
  const prunedDir = process.env.PRUNING_RETRAIN === "1" ? (await pruneStudent({ out: path.join(OUT, "distilbert-clinc-pruned"), studentDir: ctx.studentDir })).dir : modelPath("distilbert-clinc-pruned");
  const report = readJson<{ student: string; recipe: PruningRecipe; pruning: PruningSteps; bestValidationAccuracy: number; oosFallback: { threshold: number } | null; trainRuntimeSeconds: number }>(path.join(prunedDir, "training_report.json"), "pruned student's training report");
  const studentDir = modelPath(report.student);
  const student = AutoModelForSequenceClassification.fromPretrained(studentDir, { quiet: true });
  const studentTokenizer = BertTokenizer.fromPretrained(studentDir);
  const pruned = AutoModelForSequenceClassification.fromPretrained(prunedDir, { quiet: true });
  const tokenizer = BertTokenizer.fromPretrained(prunedDir);
  Object.assign(out, {
    structuredFrom: `${path.basename(prunedDir)} (from ${report.student}): heads ${JSON.stringify(report.pruning.prunedHeads)} removed, FFN ${report.pruning.intermediateSize.from} → ${report.pruning.intermediateSize.to}, vocabulary ${report.pruning.vocabulary ? `${report.pruning.vocabulary.from} → ${report.pruning.vocabulary.to} (min count ${report.pruning.vocabulary.minCount})` : "kept"}; ${report.recipe.numTrainEpochs} epoch(s) of distillation per step${(report.recipe.structuredRounds ?? 1) > 1 ? `, step 1 in ${report.recipe.structuredRounds} rounds` : ""}`,
    structuredStudentParameters: report.pruning.parameters.student,
    structuredStep1Parameters: report.pruning.parameters.afterHeadsAndNeurons,
    structuredStep1ValidationAccuracy: report.pruning.step1ValidationAccuracy,
    structuredParameters: report.pruning.parameters.final,
    structuredValidationAccuracy: report.bestValidationAccuracy,
    structuredTrainSeconds: report.trainRuntimeSeconds,
  });

  // Control (PRUNING_CONTROL=1, the default): the same recipe without the vocabulary step, fine-tuned for as many epochs
  // as both steps together, to tell the vocabulary's effect from the extra epochs'.
  if (num("PRUNING_CONTROL", 1) >= 1) {
    const control = await pruneStudent({ out: path.join(OUT, "control-full-vocabulary"), studentDir, vocabMinCount: 0, numTrainEpochs: 2 * report.recipe.numTrainEpochs, heads: report.recipe.heads, ffnKeep: report.recipe.ffnKeep });
    const controlReport = readJson<{ bestValidationAccuracy: number }>(path.join(control.dir, "training_report.json"), "control report");
    Object.assign(out, { controlFullVocabularyTestAccuracy: control.test.accuracy, controlFullVocabularyArgmaxAccuracy: control.testArgmax.accuracy, controlFullVocabularyValidationAccuracy: controlReport.bestValidationAccuracy });
    control.model.dispose();
  }

  // Step 1's architecture alone (the student's vocabulary): its size and speed, for "what each step saves".
  const step1 = pruneStructured(student, { heads: report.pruning.prunedHeads, keepNeurons: firstNeurons(student.spec.layers, report.pruning.intermediateSize.to) });
  const step1Folder = exportOnnxFolder(step1, studentTokenizer, path.join(OUT, "onnx", "distilbert-clinc-pruned-step1"));
  const studentFolder = exportOnnxFolder(student, studentTokenizer, path.join(OUT, "onnx", "distilbert-clinc-distilled"));
  // The pruned model's shipped ONNX files (exported here when the folder has none).
  const shippedOnnx = path.join(prunedDir, "onnx");
  const folder = fs.existsSync(path.join(shippedOnnx, "model_quantized.onnx")) && fs.existsSync(path.join(shippedOnnx, "model.onnx")) ? { fp32: path.join(shippedOnnx, "model.onnx"), quantized: path.join(shippedOnnx, "model_quantized.onnx") } : exportOnnxFolder(pruned, tokenizer, path.join(OUT, "onnx", "distilbert-clinc-pruned"));

  // Sessions: one intra-op thread (createModelForProvider's default, the book's setting).
  const studentFp32 = new OnnxPipeline(await createModelForProvider(studentFolder.fp32), studentTokenizer, student.config);
  const studentInt8 = new OnnxPipeline(await createModelForProvider(studentFolder.quantized!), studentTokenizer, student.config);
  const step1Fp32 = new OnnxPipeline(await createModelForProvider(step1Folder.fp32), studentTokenizer, step1.config);
  const prunedFp32 = new OnnxPipeline(await createModelForProvider(folder.fp32), tokenizer, pruned.config);
  const prunedInt8 = new OnnxPipeline(await createModelForProvider(folder.quantized!), tokenizer, pruned.config);
  const teacherTfjs = pipeline("text-classification", ctx.teacher, { tokenizer: ctx.tokenizer });
  const lat = await interleavedLatency({ teacherTfjs: () => teacherTfjs(QUERY), studentFp32: () => studentFp32(QUERY), studentInt8: () => studentInt8(QUERY), step1Fp32: () => step1Fp32(QUERY), prunedFp32: () => prunedFp32(QUERY), prunedInt8: () => prunedInt8(QUERY) }, 7, 200);
  for (const [k, v] of Object.entries(lat)) out[`${k}LatencyMs`] = v;

  // Accuracy on all 5,500 test queries: the pipelines apply a saved fallback by default.
  const acc = {
    studentFp32: await pipeAccuracy(studentFp32, ctx),
    prunedFp32: await pipeAccuracy(prunedFp32, ctx),
    prunedInt8: await pipeAccuracy(prunedInt8, ctx),
    teacherTfjs: await pipeAccuracy(teacherTfjs as any, ctx),
  };
  for (const [k, v] of Object.entries(acc)) Object.assign(out, { [`${k}Accuracy`]: v.saved, [`${k}ArgmaxAccuracy`]: v.argmax, [`${k}InScopeAccuracy`]: v.inScope, [`${k}OosRecall`]: v.oosRecall });
  // The teacher under the same rule: its saved fallback, or (when its config has none) one tuned on validation here.
  const teacherSaved = savedOosFallback(ctx.teacher.config as { task_specific_params?: unknown });
  let teacherAccuracy = acc.teacherTfjs.saved;
  if (!teacherSaved) {
    const tv = new Trainer({ model: ctx.teacher, tokenizer: ctx.tokenizer, args: evalArgs(ctx, "teacher-eval") });
    const val = await tv.predict(tokenizeDataset(ctx.clinc.validation, ctx.tokenizer, MAX_LENGTH));
    const tuned = tuneOosThreshold(val.predictions, val.labelIds, ctx.oosId);
    out.teacherTunedOosThreshold = tuned.threshold;
    const withTuned = await pipeAccuracy((t, o) => teacherTfjs(t, { ...o, oosThreshold: o?.oosThreshold === null ? null : tuned.threshold }) as any, ctx);
    teacherAccuracy = withTuned.saved;
  }
  out.teacherFallbackRule = teacherSaved ? `saved threshold ${teacherSaved.oos_threshold}` : `no saved threshold: tuned on validation here (${out.teacherTunedOosThreshold})`;
  out.teacherAccuracyWithFallback = teacherAccuracy;

  // Sizes: the teacher's fp32 folder (model.safetensors), the ONNX files.
  const size = (f: string) => fs.statSync(f).size / MB;
  Object.assign(out, {
    teacherSafetensorsMb: size(path.join(modelPath("bert-clinc-teacher"), "model.safetensors")),
    studentOnnxFp32Mb: size(studentFolder.fp32),
    studentOnnxInt8Mb: size(studentFolder.quantized!),
    step1OnnxFp32Mb: size(step1Folder.fp32),
    step1OnnxInt8Mb: size(step1Folder.quantized!),
    prunedOnnxFp32Mb: size(folder.fp32),
    prunedOnnxInt8Mb: size(folder.quantized!),
    prunedSafetensorsMb: size(path.join(prunedDir, "model.safetensors")),
  });
  // The chapter's rows (the book's OnnxPerformanceBenchmark: size of the .onnx file).
  const rows: Record<string, BenchmarkMetrics> = {};
  for (const [name, pipe, file] of [["Distillation + pruning", prunedFp32, folder.fp32], ["Distillation + pruning + ORT (quantized)", prunedInt8, folder.quantized!]] as const) {
    Object.assign(rows, await new OnnxPerformanceBenchmark(pipe as any, ctx.clinc.test, name, file, { verbose: false }).runBenchmark());
  }
  writeJsonAtomic(path.join(OUT, "perf_metrics.json"), rows);

  // Targets.
  out.structuredSpeedup = lat.studentFp32 / lat.prunedFp32;
  out.structuredAccuracyLossPoints = (acc.studentFp32.argmax - acc.prunedFp32.argmax) * 100;
  out.finalSizeReduction = (out.teacherSafetensorsMb as number) / (out.prunedOnnxInt8Mb as number);
  out.finalSpeedupOverTeacherTfjs = lat.teacherTfjs / lat.prunedInt8;
  out.finalMinusTeacherAccuracyPoints = (acc.prunedInt8.saved - teacherAccuracy) * 100;
  out.int8ArgmaxAgreement = await agreement(prunedFp32, prunedInt8, texts);
  for (const p of [studentFp32, studentInt8, step1Fp32, prunedFp32, prunedInt8]) p.dispose();
  for (const m of [pruned, step1, student]) m.dispose();
}

async function agreement(a: OnnxPipeline, b: OnnxPipeline, texts: string[]): Promise<number> {
  let same = 0;
  for (let s = 0; s < texts.length; s += 128) {
    const enc = a.tokenizer.call(texts.slice(s, s + 128));
    const [x, y] = [await a._forward(enc), await b._forward(enc)];
    x.forEach((r, i) => (same += r.indexOf(Math.max(...r)) === y[i].indexOf(Math.max(...y[i])) ? 1 : 0));
  }
  return same / texts.length;
}

export async function benchPruning(): Promise<Record<string, number | string>> {
  const parts = list("PRUNING_PARTS", "unstructured,structured");
  for (const p of parts) if (!["unstructured", "structured"].includes(p)) throw new Error(`PRUNING_PARTS: unknown part "${p}" (unstructured, structured)`);
  const clinc = loadClinc();
  const teacher = AutoModelForSequenceClassification.fromPretrained(modelPath("bert-clinc-teacher"), { quiet: true });
  // The chapter's distilled student: what the shipped pruned model was pruned from (and what unstructured pruning starts from).
  const studentDir = modelPath("distilbert-clinc-distilled");
  const ctx: Ctx = { clinc, teacher, tokenizer: BertTokenizer.fromPretrained(studentDir), studentDir, train: oversampleOos(clinc.train, 4), oosId: clinc.train.features.intent.str2int(OOS_LABEL), lr: num("PRUNING_LR", 3e-4) };
  const out: Record<string, number | string> = {};
  const level = setLogLevel(process.env.WORKBOOK_LOG_LEVEL === "debug" ? "debug" : "info");
  try {
    if (parts.includes("unstructured")) await unstructured(ctx, out);
    if (parts.includes("structured")) await structured(ctx, out);
  } finally {
    setLogLevel(level);
    teacher.dispose();
  }
  writeJsonAtomic(path.join(OUT, "bench.json"), out);
  return out;
}
