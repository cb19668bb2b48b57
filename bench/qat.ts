// Quantization-aware training with distillation (npm run bench -- qat), on
// the best shipped student with the shipped teacher, all 5,500 CLINC150 test
// queries. In one run, from the same student and for the same epochs (one
// thread each: QAT's input transforms keep training on one thread):
//   - plain distillation (the fp32 control),
//   - distillation + QAT (QuantizationAwareTrainingConfig with a
//     DistillationConfig through prepareCompression), exported to int8 ONNX
//     with the scales learned in training;
// against the student before either, fp32 and dynamically quantized (ONNX
// Runtime's quantizeDynamic). Reports accuracy, the int8 model's argmax
// agreement with the fake-quantized TF.js forward pass it was trained as,
// and the epoch-time ratio of QAT to plain distillation.
//   QAT_EPOCHS (2), QAT_LR (5e-5)
import { distill } from "../lib/compression";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadClinc } from "../lib/data";
import { AutoModelForSequenceClassification, PreTrainedModel } from "../lib/models";
import { BertTokenizer } from "../lib/tokenizers";
import { Trainer, tokenizeDataset } from "../lib/training";
import { DistillationConfig, KnowledgeDistillationLossConfig } from "../lib/distillation";
import { prepareCompression } from "../lib/compression";
import { QuantizationAwareTrainingConfig, exportQatToOnnx } from "../lib/quantization";
import { createModelForProvider, exportToOnnx, quantizeDynamic } from "../lib/onnx";
import { OnnxPipeline } from "../lib/pipelines";
import { argmax, intentReport } from "../lib/evaluation";
import { OUTPUTS_DIR, bestShippedModel, modelPath } from "../lib/workbook/hub";
import { MAX_LENGTH, oversampleOos } from "../lib/workbook/recipes";
import { setLogLevel } from "../lib/utils/log";
import type { BenchRow } from "../tools/benchSummary";
import { num } from "./env";



export async function benchQat(): Promise<BenchRow[]> {
  const epochs = num("QAT_EPOCHS", 2);
  const lr = num("QAT_LR", 5e-5);
  const clinc = loadClinc();
  const oos = clinc.train.features.intent.str2int("oos");
  const best = bestShippedModel();
  const tokenizer = BertTokenizer.fromPretrained(best.dir);
  const teacher = AutoModelForSequenceClassification.fromPretrained(modelPath("bert-clinc-teacher"), { quiet: true });
  const dir = path.join(OUTPUTS_DIR, "bench-qat");
  fs.mkdirSync(dir, { recursive: true });
  const train = tokenizeDataset(oversampleOos(clinc.train, 4), tokenizer, MAX_LENGTH);
  const test = tokenizeDataset(clinc.test, tokenizer, MAX_LENGTH);
  const labels = clinc.test.column("intent");
  const texts = clinc.test.column("text");
  const bench = `qat (${best.name}, ${epochs} epochs, lr ${lr})`;

  /** Trains a fresh copy of the student with distillation, with or without QAT; returns it, its manager and the seconds per epoch. */
  async function run(qat: boolean) {
    const student = AutoModelForSequenceClassification.fromPretrained(best.dir, { quiet: true });
    const dConf = new DistillationConfig({ teacherModel: teacher, criterion: new KnowledgeDistillationLossConfig({ temperature: 2, lossTypes: ["CE", "KL"], lossWeightRatio: [0.5, 0.5] }) });
    const manager = prepareCompression(student, qat ? [dConf, new QuantizationAwareTrainingConfig()] : [dConf]);
    const trainer = new Trainer({
      model: student,
      tokenizer,
      args: { outputDir: path.join(dir, qat ? "qat" : "plain"), numTrainEpochs: epochs, learningRate: lr, perDeviceTrainBatchSize: 64, perDeviceEvalBatchSize: 128, warmupRatio: 0.1, weightDecay: 0.01, maxLength: MAX_LENGTH, evaluationStrategy: "no", saveStrategy: "no", seed: 42, disableTqdm: true, dataParallelWorkers: 1 },
      trainDataset: train,
    });
    await distill(trainer, manager);
    const seconds = Number(trainer.state.logHistory.at(-1)?.trainRuntime ?? NaN) / epochs;
    const fakeQuant = await trainer.predict(test, "test");
    return { student, manager, seconds, fakeQuantPredictions: fakeQuant.predictions };
  }

  /** Argmax predictions of an ONNX file on the test queries. */
  async function onnxPredictions(file: string, model: PreTrainedModel): Promise<number[]> {
    const pipe = new OnnxPipeline(await createModelForProvider(file), tokenizer, model.config);
    const out: number[] = [];
    for (let s = 0; s < texts.length; s += 128) out.push(...(await pipe._forward(tokenizer.call(texts.slice(s, s + 128)))).map((r) => argmax(r)));
    pipe.dispose();
    return out;
  }
  const acc = (preds: ArrayLike<number>[] | number[]) => intentReport(preds as number[], labels, oos).accuracy;

  const level = setLogLevel("warn");
  try {
    // The student before training: fp32 and ORT dynamic int8.
    const before = AutoModelForSequenceClassification.fromPretrained(best.dir, { quiet: true });
    const fp32File = path.join(dir, "student.onnx");
    const dynFile = path.join(dir, "student_dynamic.onnx");
    exportToOnnx(before, fp32File);
    quantizeDynamic(fp32File, dynFile);
    const studentFp32 = acc(await onnxPredictions(fp32File, before));
    const studentDynamic = acc(await onnxPredictions(dynFile, before));

    const plain = await run(false);
    const plainFile = path.join(dir, "plain.onnx");
    exportToOnnx(plain.student, plainFile);
    const plainFp32 = acc(await onnxPredictions(plainFile, plain.student));
    const plainDynFile = path.join(dir, "plain_dynamic.onnx");
    quantizeDynamic(plainFile, plainDynFile);
    const plainDynamic = acc(await onnxPredictions(plainDynFile, plain.student));
    plain.manager.dispose();

    const qat = await run(true);
    const qatFile = path.join(dir, "qat.onnx");
    exportQatToOnnx(qat.student, qatFile);
    const qatInt8 = await onnxPredictions(qatFile, qat.student);
    const fakeQuantArgmax = qat.fakeQuantPredictions.map((r) => argmax(r));
    const agreement = qatInt8.filter((p, i) => p === fakeQuantArgmax[i]).length / qatInt8.length;
    const qatAccuracy = acc(qatInt8);
    const rows: BenchRow[] = [
      { bench, metric: "student before: fp32 ONNX accuracy", value: studentFp32 },
      { bench, metric: "student before: dynamic int8 ONNX accuracy", value: studentDynamic },
      { bench, metric: "plain distillation: fp32 ONNX accuracy", value: plainFp32 },
      { bench, metric: "plain distillation: dynamic int8 ONNX accuracy", value: plainDynamic },
      { bench, metric: "distillation + QAT: fake-quantized TF.js accuracy", value: acc(qat.fakeQuantPredictions) },
      { bench, metric: "distillation + QAT: int8 ONNX accuracy (scales from training)", value: qatAccuracy },
      { bench, metric: "QAT int8 minus dynamic int8 (same epochs, points)", value: (qatAccuracy - plainDynamic) * 100, target: ">= 0", met: qatAccuracy >= plainDynamic },
      { bench, metric: "QAT int8 minus plain fp32 (same epochs, points)", value: (qatAccuracy - plainFp32) * 100, target: ">= -0.5", met: qatAccuracy - plainFp32 >= -0.005 },
      { bench, metric: "int8 ONNX argmax agreement with the fake-quantized forward", value: agreement, target: ">= 0.99", met: agreement >= 0.99 },
      { bench, metric: "plain distillation s/epoch (1 thread)", value: plain.seconds },
      { bench, metric: "distillation + QAT s/epoch (1 thread)", value: qat.seconds },
      { bench, metric: "QAT / plain epoch time", value: qat.seconds / plain.seconds, target: "<= 1.5", met: qat.seconds / plain.seconds <= 1.5 },
      { bench, metric: "QAT int8 ONNX MB", value: fs.statSync(qatFile).size / 2 ** 20 },
    ];
    qat.manager.dispose();
    for (const m of [before, plain.student, qat.student]) m.dispose();
    return rows;
  } finally {
    setLogLevel(level);
    teacher.dispose();
  }
}
