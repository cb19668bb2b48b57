// Trains the "BERT baseline" teacher from scratch on CLINC150 and writes it as
// a Hugging Face-layout folder (config.json, model.safetensors, tokenizer),
// the counterpart of the book's transformersbook/bert-base-uncased-finetuned-clinc.
//
//   npm run train:teacher                 # full recipe
//   TEACHER_EPOCHS=1 TEACHER_SUBSET=512 npm run train:teacher -- --out /tmp/t   # quick check
import * as path from "node:path";
import { initBackend } from "../lib/backend";
import { loadClinc } from "../lib/data";
import { BertTokenizer } from "../lib/tokenizers";
import { BertForSequenceClassification, labelMaps } from "../lib/models";
import { Trainer, computeAccuracy, tokenizeDataset } from "../lib/training";
import { writeJsonAtomic } from "../lib/utils/fs";
import { intentReport } from "../lib/evaluation";

const env = (k: string, d: number) => (process.env[k] !== undefined ? Number(process.env[k]) : d);
const argOut = process.argv.indexOf("--out");
const OUT = argOut > 0 ? process.argv[argOut + 1] : path.resolve(__dirname, "..", "data", "models", "bert-clinc-teacher");
const RUN_DIR = process.env.TEACHER_RUN_DIR ?? path.resolve(__dirname, "..", "runs", "teacher");

async function main() {
  const backend = await initBackend();
  const clinc = loadClinc();
  const names = clinc.train.features.intent.names;
  const subset = env("TEACHER_SUBSET", 0);
  const trainRows = subset ? clinc.train.shuffle(0).head(subset) : clinc.train;
  const evalRows = subset ? clinc.validation.shuffle(0).head(Math.ceil(subset / 4)) : clinc.validation;
  const maxLength = 64;
  const tokenizer = BertTokenizer.bertBaseUncased({ modelMaxLength: maxLength }).trimmedTo(clinc.train.column("text"));
  console.log(`Vocabulary: ${tokenizer.vocabSize} tokens (${tokenizer.vocabNote})`);
  const recipe = {
    numTrainEpochs: env("TEACHER_EPOCHS", 14),
    learningRate: env("TEACHER_LR", 1e-3),
    perDeviceTrainBatchSize: env("TEACHER_BATCH", 64),
    dataParallelWorkers: env("TEACHER_WORKERS", 2),
    perDeviceEvalBatchSize: 128,
    warmupRatio: 0.1,
    weightDecay: 0.01,
    labelSmoothingFactor: env("TEACHER_LABEL_SMOOTHING", 0.1),
    tokenMaskProb: env("TEACHER_TOKEN_MASK", 0.1),
    hiddenDropout: env("TEACHER_DROPOUT", 0.1),
    seed: env("TEACHER_SEED", 42),
  };
  const model = BertForSequenceClassification.fromConfig(
    {
      vocab_size: tokenizer.vocabSize,
      hidden_size: 256,
      num_hidden_layers: 4,
      num_attention_heads: 4,
      intermediate_size: 1024,
      max_position_embeddings: maxLength,
      hidden_dropout_prob: recipe.hiddenDropout,
      attention_probs_dropout_prob: 0.1,
      ...labelMaps(names),
    },
    { seed: recipe.seed },
  );
  console.log(`BertForSequenceClassification: ${(model.numParameters() / 1e6).toFixed(2)}M parameters, backend ${backend}`);
  const trainer = new Trainer({
    model,
    tokenizer,
    args: {
      outputDir: RUN_DIR,
      numTrainEpochs: recipe.numTrainEpochs,
      learningRate: recipe.learningRate,
      perDeviceTrainBatchSize: recipe.perDeviceTrainBatchSize,
      perDeviceEvalBatchSize: recipe.perDeviceEvalBatchSize,
      warmupRatio: recipe.warmupRatio,
      weightDecay: recipe.weightDecay,
      labelSmoothingFactor: recipe.labelSmoothingFactor,
      maxLength,
      evaluationStrategy: "epoch",
      saveStrategy: "epoch",
      saveTotalLimit: 1,
      loadBestModelAtEnd: true,
      metricForBestModel: "accuracy",
      loggingSteps: 50,
      seed: recipe.seed,
      dataParallelWorkers: recipe.dataParallelWorkers,
    },
    trainDataset: tokenizeDataset(trainRows, tokenizer, maxLength),
    evalDataset: tokenizeDataset(evalRows, tokenizer, maxLength),
    computeMetrics: computeAccuracy,
    tokenMaskProb: recipe.tokenMaskProb,
  });
  const resume = process.env.TEACHER_RESUME === "1" ? true : undefined;
  const out = await trainer.train({ resumeFromCheckpoint: resume });
  // Wall time per epoch of this run, evaluation and checkpointing included.
  const epochSeconds = out.metrics.trainRuntime / Math.max(1e-9, out.metrics.epoch);
  const test = await trainer.predict(tokenizeDataset(subset ? clinc.test.head(subset) : clinc.test, tokenizer, maxLength));
  const report = intentReport(test.predictions, test.labelIds, names.indexOf("oos"));
  console.log(`Test accuracy ${report.accuracy.toFixed(4)} | in-scope accuracy ${report.inScopeAccuracy.toFixed(4)} | oos recall ${report.oosRecall.toFixed(4)}`);
  model.savePretrained(OUT);
  tokenizer.savePretrained(OUT);
  writeJsonAtomic(path.join(OUT, "training_report.json"), {
    backend,
    recipe,
    trainOutput: out,
    secondsPerEpoch: epochSeconds,
    bestValidationAccuracy: trainer.state.bestMetric,
    test: report,
    logHistory: trainer.state.logHistory,
  });
  console.log(`Saved the teacher to ${OUT}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
