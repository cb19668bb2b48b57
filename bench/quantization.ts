// Quantization on the best shipped model (the distilled student), all 5,500
// CLINC150 test queries, one intra-op thread: fp32 ONNX Runtime vs ORT-style
// dynamic int8 (MatMul + embeddings), PyTorch-style dynamic int8 (Linear
// weights only) and static QDQ int8 (MinMax / Percentile / Entropy, per
// tensor and per channel), by size, latency (the pin-number query, medians
// of alternating rounds), accuracy and argmax agreement with fp32; and what
// ONNX Runtime's optimizer turned each graph into.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { loadClinc } from "../lib/data";
import { AutoModelForSequenceClassification } from "../lib/models";
import { BertTokenizer } from "../lib/tokenizers";
import { OUTPUTS_DIR, bestShippedModel } from "../lib/workbook/hub";
import { PerformanceBenchmark } from "../lib/benchmark";
import { pipeline } from "../lib/pipelines";
import { setLogLevel } from "../lib/utils/log";
import { writeJsonAtomic } from "../lib/utils/fs";
import { argmax } from "../lib/evaluation";
import { ModelBatch } from "../lib/pipelines/textClassification";
import { QuantizeStaticOptions, TextCalibrationDataReader, batchFeeds, createModelForProvider, decodeModel, exportToOnnx, quantizeDynamic, quantizeStatic } from "../lib/onnx";
import { quantizeDynamicModel } from "../lib/quantization";
import { PIN_QUERY as QUERY, interleavedLatency } from "./latency";



function opCounts(file: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of decodeModel(new Uint8Array(fs.readFileSync(file))).graph!.node!) counts[n.opType!] = (counts[n.opType!] ?? 0) + 1;
  return counts;
}

/** Time per op type from ORT's profiler, ms per call of the query (one thread, every optimization). */
async function profileOps(file: string, feeds: Record<string, ort.Tensor>, runs: number): Promise<Record<string, number>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ort-prof-"));
  const session = await ort.InferenceSession.create(file, { executionProviders: ["cpu"], graphOptimizationLevel: "all", intraOpNumThreads: 1, enableProfiling: true, profileFilePrefix: path.join(dir, "p") });
  for (let i = 0; i < runs; i++) await session.run(feeds);
  session.endProfiling();
  await session.release();
  const written = fs.readdirSync(dir).filter((f) => f.endsWith(".json"));
  if (written.length !== 1) throw new Error(`profileOps: expected one profile in ${dir}, found ${written.length}`);
  const events = JSON.parse(fs.readFileSync(path.join(dir, written[0]), "utf8")) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
  const byOp: Record<string, number> = {};
  for (const e of events) if (e.cat === "Node" && e.name.endsWith("_kernel_time") && e.args?.op_name) byOp[e.args.op_name] = (byOp[e.args.op_name] ?? 0) + e.dur / runs / 1000;
  fs.rmSync(dir, { recursive: true, force: true });
  return byOp;
}

export interface QuantizationVariant {
  name: string;
  sizeMb: number;
  latencyMs: number;
  accuracy: number;
  agreement: number;
  speedup: number;
  fusedOps: Record<string, number>;
  /** ms per query in each op type (ORT profiler), top entries. */
  opMs?: Record<string, number>;
  /** Sum over all op types (the kernels' share of the latency). */
  opTotalMs?: number;
  quantizeSeconds?: number;
}

export async function benchQuantization(): Promise<{ model: string; calibrationTexts: number; variants: QuantizationVariant[]; torchStyleSafetensorsMb: number; fp32SafetensorsMb: number; cpu: string }> {
  const clinc = loadClinc();
  const best = bestShippedModel();
  const model = AutoModelForSequenceClassification.fromPretrained(best.dir, { quiet: true });
  const tokenizer = BertTokenizer.fromPretrained(best.dir);
  const dir = path.join(OUTPUTS_DIR, "bench-quantization", best.name);
  fs.mkdirSync(dir, { recursive: true });
  const fp32File = path.join(dir, "model.onnx");
  exportToOnnx(model, fp32File);
  const files: Record<string, string> = { fp32: fp32File };
  const seconds: Record<string, number> = {};
  const timed = async (name: string, f: () => unknown) => {
    const t = Date.now();
    await f();
    seconds[name] = (Date.now() - t) / 1000;
  };
  files["dynamic (ORT, MatMul + Gather)"] = path.join(dir, "dynamic.onnx");
  await timed("dynamic (ORT, MatMul + Gather)", () => quantizeDynamic(fp32File, files["dynamic (ORT, MatMul + Gather)"]));
  const torchStyle = quantizeDynamicModel(model, ["Linear"], "qint8");
  files["dynamic (PyTorch-style, Linear only)"] = path.join(dir, "torch_dynamic.onnx");
  await timed("dynamic (PyTorch-style, Linear only)", () => torchStyle.exportToOnnx(files["dynamic (PyTorch-style, Linear only)"]));
  // Calibration on validation queries (never the test set), one query per run as at inference.
  const calibrationTexts = clinc.validation.column("text").filter((_, i) => i % 3 === 0);
  const statics: [string, QuantizeStaticOptions][] = [];
  for (const method of ["MinMax", "Percentile", "Entropy"] as const) for (const perChannel of [false, true]) statics.push([`static QDQ ${method}${perChannel ? ", per channel" : ""}`, { calibrateMethod: method, perChannel }]);
  // ORT's Entropy defaults (128 bins, 128 levels) leave one candidate, the full range (= MinMax); TensorRT's 2048 → 128 searches.
  statics.push(["static QDQ Entropy, 2048 bins → 128 levels", { calibrateMethod: "Entropy", calibration: { numBins: 2048, numQuantizedBins: 128 } }]);
  statics.push(["static QDQ MinMax, MatMul outputs float", { calibrateMethod: "MinMax", opTypesToExcludeOutputQuantization: ["MatMul"] }]);
  for (const [name, options] of statics) {
    files[name] = path.join(dir, `static_${name.replace(/\W+/g, "_")}.onnx`);
    await timed(name, () => quantizeStatic(fp32File, files[name], new TextCalibrationDataReader(tokenizer, calibrationTexts), options));
  }

  // Sessions as the book's helper makes them (one intra-op thread, every optimization), optimized graphs kept.
  const sessions: Record<string, ort.InferenceSession> = {};
  const fused: Record<string, Record<string, number>> = {};
  for (const [name, file] of Object.entries(files)) {
    const opt = file.replace(/\.onnx$/, ".optimized.onnx");
    sessions[name] = await createModelForProvider(file, "cpu", { optimizedModelFilePath: opt });
    fused[name] = opCounts(opt);
  }
  const forward = async (name: string, batch: ModelBatch) => {
    const s = sessions[name];
    const { logits } = await s.run(batchFeeds(batch, s.inputNames));
    const d = logits.data as Float32Array;
    const w = logits.dims[1];
    return batch.input_ids.map((_, i) => argmax(d.subarray(i * w, (i + 1) * w)));
  };
  // Accuracy and agreement on all 5,500 test queries.
  const texts = clinc.test.column("text");
  const labels = clinc.test.features.intent;
  const preds: Record<string, number[]> = {};
  for (const name of Object.keys(files)) {
    preds[name] = [];
    for (let s = 0; s < texts.length; s += 128) preds[name].push(...(await forward(name, tokenizer.call(texts.slice(s, s + 128)))));
  }
  const accuracy = (p: number[]) => p.filter((id, i) => labels.str2int(model.config.id2label[String(id)]) === clinc.test.rows[i].intent).length / p.length;
  // Latency of the pin-number query, alternating variants.
  const feeds = batchFeeds(tokenizer.call([QUERY]), ["input_ids", "attention_mask", "token_type_ids"]);
  const latency = await interleavedLatency(Object.fromEntries(Object.keys(files).map((n) => [n, () => sessions[n].run(Object.fromEntries(sessions[n].inputNames.map((k) => [k, feeds[k]])))])), 7, 300);
  // Where the time goes: ORT's profiler, 3 alternating repetitions, the least time per op type (other jobs only add time).
  const opMs: Record<string, Record<string, number>> = {};
  const profiled = ["fp32", "dynamic (ORT, MatMul + Gather)", "static QDQ MinMax", "static QDQ MinMax, MatMul outputs float"];
  for (let rep = 0; rep < 3; rep++) {
    for (const name of profiled) {
      const s = sessions[name];
      const ms = await profileOps(files[name], Object.fromEntries(s.inputNames.map((k) => [k, feeds[k]])), 300);
      opMs[name] ??= ms;
      for (const [op, v] of Object.entries(ms)) opMs[name][op] = Math.min(opMs[name][op] ?? Infinity, v);
    }
  }
  for (const s of Object.values(sessions)) await s.release();

  // The PyTorch-style model through the chapter's own pipeline + PerformanceBenchmark: size of its saved int8 state.
  const prev = setLogLevel("warn");
  // Argmax only, as the ONNX sessions are scored here (the saved oos fallback off), so the two accuracies must agree.
  const pipe = pipeline("text-classification", torchStyle, { tokenizer, oosThreshold: null });
  const torchRow = Object.values(await new PerformanceBenchmark(pipe, clinc.test, "Distillation + quantization", { warmupRuns: 5, timedRuns: 20 }).runBenchmark())[0];
  const fpRow = new PerformanceBenchmark(pipeline("text-classification", model, { tokenizer, oosThreshold: null }), clinc.test, "Distillation", { verbose: false }).computeSize();
  setLogLevel(prev);
  pipe.dispose();
  const variants: QuantizationVariant[] = Object.keys(files).map((name) => ({
    name,
    sizeMb: fs.statSync(files[name]).size / 2 ** 20,
    latencyMs: latency[name],
    accuracy: accuracy(preds[name]),
    agreement: preds[name].filter((p, i) => p === preds.fp32[i]).length / texts.length,
    speedup: latency.fp32 / latency[name],
    fusedOps: fused[name],
    ...(opMs[name] ? { opMs: Object.fromEntries(Object.entries(opMs[name]).sort((a, b) => b[1] - a[1]).slice(0, 8)), opTotalMs: Object.values(opMs[name]).reduce((a, b) => a + b, 0) } : {}),
    ...(seconds[name] !== undefined ? { quantizeSeconds: seconds[name] } : {}),
  }));
  // Same graph, same weights; only the batches differ (the pipeline's 32 rows vs 128 here), and dynamic quantization
  // takes each batch's activation range, so a few argmaxes near a tie may flip. Anything more is a bug.
  const sessionAccuracy = variants.find((v) => v.name.startsWith("dynamic (PyTorch"))!.accuracy;
  if (Math.abs(torchRow.accuracy - sessionAccuracy) > 0.005) throw new Error(`benchQuantization: the PyTorch-style pipeline's accuracy (${torchRow.accuracy}) differs from its ONNX session's (${sessionAccuracy}) by more than 0.5 points`);
  model.dispose();
  const result = { model: best.name, calibrationTexts: calibrationTexts.length, variants, torchStyleSafetensorsMb: torchRow.sizeMb, fp32SafetensorsMb: fpRow.sizeMb, cpu: os.cpus()[0]?.model ?? "unknown" };
  writeJsonAtomic(path.join(__dirname, "results", "quantization.json"), result);
  return result;
}
