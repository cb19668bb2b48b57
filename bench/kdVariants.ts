// Logit-only vs intermediate-layer distillation with the same budget, from
// the same DistilBERT-style initialisation, on the whole training set:
// validation and test accuracy of each. One variant per process:
//   npm run bench -- kdLogits     /   npm run bench -- kdLayers
import { distill } from "../lib/compression";
import { loadClinc } from "../lib/data";
import { AutoModelForSequenceClassification } from "../lib/models";
import { modelPath } from "../lib/workbook/hub";
import { BertTokenizer } from "../lib/tokenizers";
import { Trainer, computeAccuracy, tokenizeDataset } from "../lib/training";
import { DistillationConfig, IntermediateLayersKnowledgeDistillationLossConfig, KnowledgeDistillationLossConfig, studentInit } from "../lib/distillation";
import { intentReport } from "../lib/evaluation";

export async function benchKdVariant(variant: "logits" | "layers"): Promise<Record<string, number>> {
  const epochs = Number(process.env.BENCH_KD_EPOCHS ?? 3);
  const clinc = loadClinc();
  const dir = modelPath("bert-clinc-teacher");
  const teacher = AutoModelForSequenceClassification.fromPretrained(dir, { quiet: true });
  const tokenizer = BertTokenizer.fromPretrained(dir);
  const criterion =
    variant === "logits"
      ? new KnowledgeDistillationLossConfig({ temperature: 2, lossTypes: ["CE", "KL"], lossWeightRatio: [0.5, 0.5] })
      : new IntermediateLayersKnowledgeDistillationLossConfig({ layerMappings: [["hidden_states.1", "hidden_states.2"], ["hidden_states.2", "hidden_states.4"]], lossTypes: ["MSE", "MSE"], lossWeightRatio: [0.5, 0.5], addOriginLoss: true });
  const student = studentInit(teacher, { init: "distilbert" });
  const trainer = new Trainer({
    model: student,
    tokenizer,
    args: { outputDir: `/tmp/kd-${variant}`, numTrainEpochs: epochs, learningRate: 5e-4, perDeviceTrainBatchSize: 64, perDeviceEvalBatchSize: 128, warmupRatio: 0.1, weightDecay: 0.01, seed: 42, evaluationStrategy: "epoch" },
    trainDataset: tokenizeDataset(clinc.train, tokenizer, 64),
    evalDataset: tokenizeDataset(clinc.validation, tokenizer, 64),
    computeMetrics: computeAccuracy,
  });
  await distill(trainer, new DistillationConfig({ teacherModel: teacher, criterion }));
  const test = await trainer.predict(tokenizeDataset(clinc.test, tokenizer, 64));
  const r = intentReport(test.predictions, test.labelIds, clinc.test.features.intent.str2int("oos"));
  const val = trainer.state.logHistory.filter((e) => e.evalAccuracy !== undefined).map((e) => e.evalAccuracy);
  return { epochs, validationAccuracy: val.at(-1)!, testAccuracy: r.accuracy, inScopeAccuracy: r.inScopeAccuracy ?? NaN, oosRecall: r.oosRecall ?? NaN };
}
