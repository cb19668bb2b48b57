// ONNX Runtime on the best shipped model, whole test set: fp32 vs int8 (size,
// latency, accuracy, argmax agreement), our OnnxPipeline vs transformers.js
// on the same .onnx, and ORT fp32 vs the TensorFlow.js pipeline.
import * as path from "node:path";
import { loadClinc } from "../lib/data";
import { pipeline } from "../lib/pipelines";
import { AutoModelForSequenceClassification } from "../lib/models";
import { OUTPUTS_DIR, bestShippedModel, modelPath } from "../lib/workbook/hub";
import { BertTokenizer } from "../lib/tokenizers";
import { PerformanceBenchmark, OnnxPerformanceBenchmark, BenchmarkMetrics } from "../lib/benchmark";
import { createModelForProvider, exportOnnxFolder } from "../lib/onnx";
import { OnnxPipeline } from "../lib/pipelines";
import { argmax } from "../lib/evaluation";
import { PIN_QUERY, interleavedLatency } from "./latency";


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
  // One query, fp32 vs int8, in alternating rounds: on one intra-op thread (the
  // book's setting, our default) and on one per core; a padded batch of 32
  // test queries; and the 4-layer teacher.
  const query = PIN_QUERY;
  const allCores = {
    fp32: new OnnxPipeline(await createModelForProvider(folder.fp32, "cpu", { intraOpNumThreads: 0 }), tokenizer, model.config.id2label),
    int8: new OnnxPipeline(await createModelForProvider(folder.quantized!, "cpu", { intraOpNumThreads: 0 }), tokenizer, model.config.id2label),
  };
  const single = await interleavedLatency({ fp32: () => fp32(query), int8: () => int8(query), fp32AllCores: () => allCores.fp32(query), int8AllCores: () => allCores.int8(query) });
  Object.values(allCores).forEach((p) => p.dispose());
  const batch = tokenizer.call(texts.slice(0, 32));
  const batched = await interleavedLatency({ fp32: () => fp32._forward(batch), int8: () => int8._forward(batch) }, 5, 30);
  const teacherModel = AutoModelForSequenceClassification.fromPretrained(modelPath("bert-clinc-teacher"), { quiet: true });
  const teacherFolder = exportOnnxFolder(teacherModel, tokenizer, path.join(OUTPUTS_DIR, "bench-onnx", "bert-clinc-teacher"));
  const teacherPipes = {
    fp32: new OnnxPipeline(await createModelForProvider(teacherFolder.fp32), tokenizer, teacherModel.config.id2label),
    int8: new OnnxPipeline(await createModelForProvider(teacherFolder.quantized!), tokenizer, teacherModel.config.id2label),
  };
  const teacherMs = await interleavedLatency({ fp32: () => teacherPipes.fp32(query), int8: () => teacherPipes.int8(query) });
  Object.values(teacherPipes).forEach((p) => p.dispose());
  teacherModel.dispose();
  const { pipeline: hfPipeline, env } = await import("@huggingface/transformers");
  env.allowRemoteModels = false;
  env.localModelPath = path.dirname(folder.dir);
  // Same session settings as ours (one intra-op thread, every optimisation), so only the pipelines differ.
  const js = await hfPipeline("text-classification", best.name, { dtype: "fp32", session_options: { intraOpNumThreads: 1, graphOptimizationLevel: "all" } });
  const { js: jsMs, ours: oursMs } = await interleavedLatency({ js: () => js(query), ours: () => fp32(query) }, 5, 200);
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
    ortFp32InterleavedMs: single.fp32,
    ortInt8InterleavedMs: single.int8,
    ortFp32AllCoresMs: single.fp32AllCores,
    ortInt8AllCoresMs: single.int8AllCores,
    allCoresInt8Speedup: single.fp32AllCores / single.int8AllCores,
    batch32Int8Speedup: batched.fp32 / batched.int8,
    teacherOrtFp32LatencyMs: teacherMs.fp32,
    teacherOrtInt8LatencyMs: teacherMs.int8,
    teacherInt8Speedup: teacherMs.fp32 / teacherMs.int8,
    int8SizeReduction: rows.fp32.sizeMb / rows.int8.sizeMb,
    // The target: from the alternating rounds (one benchmark's 100 runs swing ±10%).
    int8Speedup: single.fp32 / single.int8,
    benchmarkRowsInt8Speedup: rows.fp32.timeAvgMs / rows.int8.timeAvgMs,
    int8AccuracyDropPoints: (rows.fp32.accuracy - rows.int8.accuracy) * 100,
    int8ArgmaxAgreement: same / texts.length,
    ortFp32SpeedupOverTfjs: rows.tfjs.timeAvgMs / rows.fp32.timeAvgMs,
    onnxPipelineMs: oursMs,
    transformersJsMs: jsMs,
    onnxPipelineOverTransformersJs: oursMs / jsMs,
  };
}
