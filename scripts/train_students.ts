// Trains the chapter's students from the shipped teacher and writes them as
// HF-layout folders in data/models/:
//   npm run train:students -- alone     → distilbert-clinc       ("DistilBERT": fine-tuned alone, alpha = 1)
//   npm run train:students -- distill   → distilbert-clinc-distilled ("Distillation": alpha 0.5, T 2)
// Both start DistilBERT-style from the teacher (its embeddings and every other layer).
import * as path from "node:path";
import { initBackend } from "../lib/backend";
import { loadClinc } from "../lib/data";
import { BertTokenizer } from "../lib/tokenizers";
import { AutoModelForSequenceClassification, MODELS_DIR, modelPath } from "../lib/models";
import { computeAccuracy, tokenizeDataset } from "../lib/training";
import { DistillationTrainer, studentInit } from "../lib/distillation";
import { intentReport } from "../lib/evaluation";
import { writeJsonAtomic } from "../lib/utils/fs";

const env = (k: string, d: number) => (process.env[k] !== undefined ? Number(process.env[k]) : d);

async function main() {
  const mode = process.argv[2];
  if (mode !== "alone" && mode !== "distill") throw new Error('usage: train_students.ts alone|distill');
  const backend = await initBackend();
  const clinc = loadClinc();
  const names = clinc.train.features.intent.names;
  const teacherDir = modelPath("bert-clinc-teacher");
  const teacher = AutoModelForSequenceClassification.fromPretrained(teacherDir, { quiet: true });
  const tokenizer = BertTokenizer.fromPretrained(teacherDir);
  const maxLength = 64;
  const subset = env("STUDENT_SUBSET", 0); // quick checks only
  const recipe = {
    mode,
    init: "distilbert" as const,
    numTrainEpochs: env("STUDENT_EPOCHS", 12),
    learningRate: env("STUDENT_LR", 5e-4),
    perDeviceTrainBatchSize: 64,
    warmupRatio: 0.1,
    weightDecay: 0.01,
    alpha: mode === "alone" ? 1 : env("STUDENT_ALPHA", 0.5),
    temperature: env("STUDENT_TEMPERATURE", 2),
    seed: env("STUDENT_SEED", 42),
  };
  const name = mode === "alone" ? "distilbert-clinc" : "distilbert-clinc-distilled";
  const out = process.env.STUDENT_OUT ?? path.join(MODELS_DIR, name);
  const student = studentInit(teacher, { init: recipe.init, seed: recipe.seed });
  console.log(`Student ${name}: DistilBertForSequenceClassification, ${student.spec.layers} layers, ${(student.numParameters() / 1e6).toFixed(2)}M parameters; teacher ${(teacher.numParameters() / 1e6).toFixed(2)}M; backend ${backend}`);
  const trainer = new DistillationTrainer({
    model: student,
    teacherModel: teacher,
    tokenizer,
    cacheTeacherLogits: true,
    args: {
      outputDir: path.resolve(__dirname, "..", "runs", name),
      numTrainEpochs: recipe.numTrainEpochs,
      learningRate: recipe.learningRate,
      perDeviceTrainBatchSize: recipe.perDeviceTrainBatchSize,
      perDeviceEvalBatchSize: 128,
      warmupRatio: recipe.warmupRatio,
      weightDecay: recipe.weightDecay,
      alpha: recipe.alpha,
      temperature: recipe.temperature,
      maxLength,
      evaluationStrategy: "epoch",
      saveStrategy: "epoch",
      saveTotalLimit: 1,
      loadBestModelAtEnd: true,
      metricForBestModel: "accuracy",
      seed: recipe.seed,
    },
    trainDataset: tokenizeDataset(subset ? clinc.train.shuffle(0).head(subset) : clinc.train, tokenizer, maxLength),
    evalDataset: tokenizeDataset(subset ? clinc.validation.shuffle(0).head(subset) : clinc.validation, tokenizer, maxLength),
    computeMetrics: computeAccuracy,
  });
  const result = await trainer.train();
  const test = await trainer.predict(tokenizeDataset(subset ? clinc.test.head(subset) : clinc.test, tokenizer, maxLength));
  const report = intentReport(test.predictions, test.labelIds, names.indexOf("oos"));
  console.log(`Test accuracy ${report.accuracy.toFixed(4)} | in-scope ${report.inScopeAccuracy.toFixed(4)} | oos recall ${report.oosRecall.toFixed(4)}`);
  student.savePretrained(out);
  tokenizer.savePretrained(out);
  writeJsonAtomic(path.join(out, "training_report.json"), {
    backend,
    recipe,
    teacher: "bert-clinc-teacher",
    trainOutput: result,
    secondsPerEpoch: result.metrics.trainRuntime / result.metrics.epoch,
    bestValidationAccuracy: trainer.state.bestMetric,
    test: report,
    logHistory: trainer.state.logHistory,
  });
  console.log(`Saved ${out}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
