// ONNX Runtime on the best shipped model, whole test set: fp32 vs int8 (size,
// latency, accuracy, argmax agreement), our OnnxPipeline vs transformers.js
// on the same .onnx, and ORT fp32 vs the TensorFlow.js pipeline.
import * as path from "node:path";
import { loadClinc } from "../lib/data";
import { pipeline } from "../lib/pipelines";
import { AutoModelForSequenceClassification, OUTPUTS_DIR, bestShippedModel, modelPath } from "../lib/models";
import { BertTokenizer } from "../lib/tokenizers";
import { PerformanceBenchmark, BenchmarkMetrics, measureLatency } from "../lib/benchmark";
import { OnnxPerformanceBenchmark, OnnxPipeline, createModelForProvider, exportOnnxFolder } from "../lib/onnx";
import { argmax } from "../lib/evaluation";

export async function benchOnnx(): Promise<Record<string, number | string>> {
  const clinc = loadClinc();
  const best = bestShippedModel();
  const model = AutoModelForSequenceClassification.fromPretrained(best.dir, { quiet: true });
  const tokenizer = BertTokenizer.fromPretrained(best.dir);
  const folder = exportOnnxFolder(model, tokenizer, path.join(OUTPUTS_DIR, "bench-onnx", best.name));
  const quiet = { verbose: false };
  const tfjs = pipeline("text-classification", model, { tokenizer });
  const fp32 = new OnnxPipeline(await createModelForProvider(folder.fp32), tokenizer, model.config.id2label);
  const int8 = new OnnxPipeline(await createModelForProvider(folder.quantized!), tokenizer, model.config.id2label);
  const rows: Record<string, BenchmarkMetrics> = {
    tfjs: Object.values(await new PerformanceBenchmark(tfjs, clinc.test, "tfjs", quiet).runBenchmark())[0],
    fp32: Object.values(await new OnnxPerformanceBenchmark(fp32, clinc.test, "fp32", folder.fp32, quiet).runBenchmark())[0],
    int8: Object.values(await new OnnxPerformanceBenchmark(int8, clinc.test, "int8", folder.quantized!, quiet).runBenchmark())[0],
  };
  // Same argmax, fp32 vs int8, row by row.
  const texts = clinc.test.column("text");
  let same = 0;
  for (let s = 0; s < texts.length; s += 128) {
    const enc = tokenizer.call(texts.slice(s, s + 128));
    const [x, y] = [await fp32._forward(enc), await int8._forward(enc)];
    x.forEach((r, i) => (same += argmax(r) === argmax(y[i]) ? 1 : 0));
  }
  // The same query on one intra-op thread (the book's setting, our default) and on one per core.
  const query = "What is the pin number for my account?";
  const allCores: Record<string, number> = {};
  for (const [k, file] of [["fp32", folder.fp32], ["int8", folder.quantized!]]) {
    const pipe = new OnnxPipeline(await createModelForProvider(file, "cpu", { intraOpNumThreads: 0 }), tokenizer, model.config.id2label);
    allCores[k] = (await measureLatency(() => pipe(query), { warmupRuns: 20, timedRuns: 300 })).mean;
    pipe.dispose();
  }
  // Beyond one short query: a padded batch of 32 test queries, and the 4-layer teacher.
  const batch = tokenizer.call(texts.slice(0, 32));
  const batched = { fp32: (await measureLatency(() => fp32._forward(batch), { timedRuns: 50 })).mean, int8: (await measureLatency(() => int8._forward(batch), { timedRuns: 50 })).mean };
  const teacherModel = AutoModelForSequenceClassification.fromPretrained(modelPath("bert-clinc-teacher"), { quiet: true });
  const teacherFolder = exportOnnxFolder(teacherModel, tokenizer, path.join(OUTPUTS_DIR, "bench-onnx", "bert-clinc-teacher"));
  const teacherMs: Record<string, number> = {};
  for (const [k, file] of [["fp32", teacherFolder.fp32], ["int8", teacherFolder.quantized!]]) {
    const pipe = new OnnxPipeline(await createModelForProvider(file), tokenizer, teacherModel.config.id2label);
    teacherMs[k] = (await measureLatency(() => pipe(query), { warmupRuns: 20, timedRuns: 300 })).mean;
    pipe.dispose();
  }
  teacherModel.dispose();
  const { pipeline: hfPipeline, env } = await import("@huggingface/transformers");
  env.allowRemoteModels = false;
  env.localModelPath = path.dirname(folder.dir);
  const js = await hfPipeline("text-classification", best.name, { dtype: "fp32" });
  const jsMs = (await measureLatency(() => js(query))).mean;
  const oursMs = (await measureLatency(() => fp32(query))).mean;
  await js.dispose();
  return {
    model: best.name,
    tfjsSizeMb: rows.tfjs.sizeMb,
    tfjsLatencyMs: rows.tfjs.timeAvgMs,
    tfjsAccuracy: rows.tfjs.accuracy,
    ortFp32SizeMb: rows.fp32.sizeMb,
    ortFp32LatencyMs: rows.fp32.timeAvgMs,
    ortFp32Accuracy: rows.fp32.accuracy,
    ortInt8SizeMb: rows.int8.sizeMb,
    ortInt8LatencyMs: rows.int8.timeAvgMs,
    ortInt8Accuracy: rows.int8.accuracy,
    ortFp32AllCoresLatencyMs: allCores.fp32,
    ortInt8AllCoresLatencyMs: allCores.int8,
    batch32Int8Speedup: batched.fp32 / batched.int8,
    teacherOrtFp32LatencyMs: teacherMs.fp32,
    teacherOrtInt8LatencyMs: teacherMs.int8,
    teacherInt8Speedup: teacherMs.fp32 / teacherMs.int8,
    int8SizeReduction: rows.fp32.sizeMb / rows.int8.sizeMb,
    int8Speedup: rows.fp32.timeAvgMs / rows.int8.timeAvgMs,
    int8AccuracyDropPoints: (rows.fp32.accuracy - rows.int8.accuracy) * 100,
    int8ArgmaxAgreement: same / texts.length,
    ortFp32SpeedupOverTfjs: rows.tfjs.timeAvgMs / rows.fp32.timeAvgMs,
    onnxPipelineMs: oursMs,
    transformersJsMs: jsMs,
    onnxPipelineOverTransformersJs: oursMs / jsMs,
  };
}
