// PyTorch-style dynamic quantization of a model object: int8 Linear weights
// equal to torch.quantization.quantize_dynamic's (fixture), only Linear
// layers quantized, int8 compute in ONNX Runtime through pipeline() and
// PerformanceBenchmark, int8 bytes on disk, and the shipped student's argmax.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ready, FIXTURES, tmpDir, maxAbsDiff } from "../helpers/setup";
import { readJson } from "../../lib/utils/fs";
import { setLogLevel } from "../../lib/utils/log";
import { BertForSequenceClassification, DistilBertForSequenceClassification, PreTrainedModel, AutoModelForSequenceClassification, labelMaps } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";
import { pipeline } from "../../lib/pipelines";
import { PerformanceBenchmark } from "../../lib/benchmark";
import { Dataset } from "../../lib/data/dataset";
import { ClassLabel } from "../../lib/data/classLabel";
import { loadClinc } from "../../lib/data";
import { createModelForProvider, decodeModel, encodeModel, exportToOnnx } from "../../lib/onnx";
import { OnnxPipeline } from "../../lib/pipelines";
import { DynamicQuantizedModel, quantizeDynamicModel } from "../../lib/quantization";
import { argmax } from "../../lib/evaluation";
import { modelPath } from "../../lib/workbook/hub";

interface TorchLinear {
  module: string;
  int_repr: number[];
  shape: number[];
  qscheme: string;
  scale?: number;
  zero_point?: number;
  scales?: number[];
  zero_points?: number[];
  axis?: number;
}
const TORCH = readJson<{ torch: { quantize_dynamic: Record<"per_tensor" | "per_channel", Record<string, TorchLinear>> } }>(path.join(FIXTURES, "quantization_reference.json"), "quantization fixture").torch.quantize_dynamic;

function fixtureDistilBert(): DistilBertForSequenceClassification {
  const fx = readJson<{ config: any; weights: Record<string, { shape: number[]; data: number[] }> }>(path.join(FIXTURES, "distilbert_reference.json"));
  const model = new DistilBertForSequenceClassification(fx.config);
  model.loadStateDict(new Map(Object.entries(fx.weights).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }])), { strict: true });
  return model;
}

test("quantizeDynamicModel equals torch.quantization.quantize_dynamic(model, {nn.Linear}, qint8): every Linear's int8 weight, scale and zero point (per tensor and per channel)", async () => {
  await ready;
  const model = fixtureDistilBert();
  for (const mode of ["per_tensor", "per_channel"] as const) {
    const q = quantizeDynamicModel(model, ["Linear"], "qint8", { perChannel: mode === "per_channel" });
    const ref = TORCH[mode];
    assert.deepEqual([...q.linears.keys()].sort(), Object.keys(ref).sort(), "the same modules are quantized");
    for (const [name, r] of Object.entries(ref)) {
      assert.equal(r.module, "torch.ao.nn.quantized.dynamic.modules.linear.Linear", "torch replaced it with its dynamic quantized Linear");
      const w = q.linears.get(name)!.weight;
      assert.deepEqual([...w.shape], r.shape, name);
      assert.deepEqual([...w.intRepr()], r.int_repr, `${name} int8 weights (${mode})`);
      if (mode === "per_tensor") {
        assert.equal(w.qScheme(), "per_tensor_symmetric");
        assert.equal(w.qScale(), r.scale, `${name} scale`);
        assert.equal(w.qZeroPoint(), r.zero_point);
      } else {
        assert.equal(w.qScheme(), "per_channel_symmetric");
        assert.deepEqual([...w.qPerChannelScales()], r.scales, `${name} scales`);
        assert.deepEqual(w.qPerChannelZeroPoints(), r.zero_points);
        assert.equal(w.qPerChannelAxis(), r.axis);
      }
    }
  }
  // The float model is untouched (torch copies it; so do we).
  assert.ok(model.params.get("classifier.weight")!.dtype === "float32");
  model.dispose();
});

const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ..."abcdefghijklmnopqrstuvwxyz".split(""), ..."abcdefghijklmnopqrstuvwxyz".split("").map((c) => `##${c}`)]);
const texts = ["a", "hello world", "transfer money from my account", "what is the pin number for my account", "book a table", "play some music"];
const names = ["a", "b", "c", "d", "e"];

function tinyBert(): PreTrainedModel {
  return BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64, initializer_range: 0.1, ...labelMaps(names) }, { seed: 17 });
}

test("a dynamically quantized BERT: int8 Linear weights only (embeddings and LayerNorms fp32), MatMulInteger on exactly those weights, fused by ORT; pipeline and PerformanceBenchmark run it; int8 bytes on disk; fromPretrained round trip", async () => {
  await ready;
  const model = tinyBert();
  const q = quantizeDynamicModel(model, ["Linear"], "qint8");
  assert.ok(q instanceof DynamicQuantizedModel);
  // 2 layers × 6 Linear + pooler + classifier; no embedding or LayerNorm among them.
  assert.equal(q.linears.size, 14);
  assert.ok(![...q.linears.keys()].some((k) => /embeddings|LayerNorm/.test(k)));
  assert.ok(q.floatParams.has("bert.embeddings.word_embeddings.weight"));
  assert.ok([...q.floatParams.keys()].every((k) => !q.linears.has(k.replace(/\.(weight|bias)$/, ""))));
  for (const [name, lin] of q.linears) assert.equal(lin.weight.dtype, "qint8", name);
  // The ONNX graph: one DynamicQuantizeLinear + MatMulInteger per Linear, fed these exact int8 values; Gathers stay float.
  const graph = q.toOnnx().graph!;
  const ops = graph.node!.map((n) => n.opType);
  assert.equal(ops.filter((o) => o === "MatMulInteger").length, 14);
  assert.equal(ops.filter((o) => o === "DequantizeLinear").length, 0, "embeddings are not quantized");
  const init = new Map(graph.initializer!.map((t) => [t.name, t]));
  const cls = init.get("classifier.weight_quantized")!;
  const raw = new Int8Array(new Uint8Array(cls.rawData!).slice().buffer);
  const w = q.linears.get("classifier")!.weight; // [out, in]
  const [out, inp] = w.shape;
  const ints = w.intRepr();
  for (let r = 0; r < out; r++) for (let c = 0; c < inp; c++) assert.equal(raw[c * out + r], ints[r * inp + c]);
  assert.equal(new Float32Array(new Uint8Array(init.get("classifier.weight_scale")!.rawData!).slice().buffer)[0], Math.fround(w.qScale()));
  assert.equal(init.get("bert.embeddings.word_embeddings.weight")!.dataType, 1, "word embeddings stay float32");
  const optimized = path.join(tmpDir(), "opt.onnx");
  await createModelForProvider(encodeModel(q.toOnnx()), "cpu", { optimizedModelFilePath: optimized });
  const fusedOps = decodeModel(new Uint8Array(fs.readFileSync(optimized))).graph!.node!.map((n) => n.opType!);
  assert.equal(fusedOps.filter((o) => o === "DynamicQuantizeMatMul" || o === "MatMulIntegerToFloat").length, 14, "int8 kernels");
  // Same predictions as the float model, through the same pipeline API.
  const fpPipe = pipeline("text-classification", model, { tokenizer });
  const qPipe = pipeline("text-classification", q, { tokenizer });
  const enc = tokenizer.call(texts);
  const a = (await fpPipe._forward(enc)).flatMap((r) => [...r]);
  const b = (await qPipe._forward(enc)).flatMap((r) => [...r]);
  const spread = Math.max(...a) - Math.min(...a);
  assert.ok(maxAbsDiff(a, b) < 0.05 * spread, `int8 logits differ by ${maxAbsDiff(a, b)} (spread ${spread})`);
  assert.deepEqual((await qPipe(texts)).map((r) => r[0].label), (await fpPipe(texts)).map((r) => r[0].label));
  // PerformanceBenchmark: accuracy, latency and the size of what savePretrained stores.
  const ds = new Dataset(texts.map((text, i) => ({ text, intent: i % names.length })), { intent: new ClassLabel(names) });
  const prev = setLogLevel("warn");
  const fpRow = Object.values(await new PerformanceBenchmark(fpPipe, ds, "fp32", { warmupRuns: 1, timedRuns: 3 }).runBenchmark())[0];
  const qRow = Object.values(await new PerformanceBenchmark(qPipe, ds, "int8", { warmupRuns: 1, timedRuns: 3 }).runBenchmark())[0];
  setLogLevel(prev);
  assert.equal(qRow.accuracy, fpRow.accuracy);
  const dir = tmpDir();
  q.savePretrained(dir);
  const stored = fs.statSync(path.join(dir, "model.safetensors")).size;
  assert.ok(Math.abs(qRow.sizeMb - stored / 2 ** 20) < 1e-12, "computeSize measures the saved int8 file");
  // Linear weights take one byte per value: the file shrinks by 3 bytes per Linear weight value.
  const linearValues = [...q.linears.values()].reduce((n, l) => n + l.weight.size, 0);
  const floatFile = fpRow.sizeMb * 2 ** 20;
  assert.ok(Math.abs(floatFile - stored - 3 * linearValues) < 4096, `float ${floatFile} - int8 ${stored} vs 3 × ${linearValues}`);
  // Round trip: the saved folder loads back to the same int8 model and logits.
  const back = DynamicQuantizedModel.fromPretrained(dir);
  assert.deepEqual([...back.linears.get("classifier")!.weight.intRepr()], [...ints]);
  assert.deepEqual((await back.forward(enc)).flatMap((r) => [...r]), b);
  back.dispose();
  qPipe.dispose();
  model.dispose();
});

test("the PyTorch-style quantized shipped student keeps fp32's argmax on >= 99% of 500 test queries", { timeout: 120_000 }, async () => {
  await ready;
  const dir = modelPath("distilbert-clinc-distilled");
  const model = AutoModelForSequenceClassification.fromPretrained(dir, { quiet: true });
  const tok = BertTokenizer.fromPretrained(dir);
  const fp32File = path.join(tmpDir(), "model.onnx");
  exportToOnnx(model, fp32File);
  const fp32 = new OnnxPipeline(await createModelForProvider(fp32File), tok, model.config.id2label);
  const q = quantizeDynamicModel(model, ["Linear"], "qint8");
  const texts500 = loadClinc().test.column("text").filter((_, i) => i % 11 === 0).slice(0, 500);
  let same = 0;
  for (let s = 0; s < texts500.length; s += 100) {
    const enc = tok.call(texts500.slice(s, s + 100));
    const [x, y] = [await fp32._forward(enc), await q.forward(enc)];
    x.forEach((r, i) => (same += argmax(r) === argmax(y[i]) ? 1 : 0));
  }
  assert.equal(texts500.length, 500);
  assert.ok(same / 500 >= 0.99, `int8 argmax agrees on ${same} of 500`);
  fp32.dispose();
  q.dispose();
  model.dispose();
});

test("the quantized pipeline applies the out-of-scope fallback saved with the model, as pipeline() does on fp32; null turns it off", { timeout: 60_000 }, async () => {
  await ready;
  const dir = modelPath("distilbert-clinc-distilled");
  const model = AutoModelForSequenceClassification.fromPretrained(dir, { quiet: true });
  const tok = BertTokenizer.fromPretrained(dir);
  const saved = (model.config as { task_specific_params?: Record<string, { oos_threshold?: number }> }).task_specific_params?.["text-classification"]?.oos_threshold;
  assert.ok(saved !== undefined && saved > 0, "the shipped student carries a fallback threshold");
  const texts = loadClinc().test.column("text").filter((_, i) => i % 5 === 0).slice(0, 300);
  // The saved detector applies to both as well; this test is about the softmax threshold, so it is turned off.
  const detected = pipeline("text-classification", quantizeDynamicModel(model, ["Linear"], "qint8"), { tokenizer: tok });
  assert.equal(detected.oosDetector?.kind, pipeline("text-classification", model, { tokenizer: tok }).oosDetector?.kind);
  assert.ok(detected.oosDetector, "the shipped student carries an out-of-scope detector");
  const q = pipeline("text-classification", quantizeDynamicModel(model, ["Linear"], "qint8"), { tokenizer: tok, oosDetector: null });
  assert.equal(q.options.oosThreshold, saved);
  const fp = pipeline("text-classification", model, { tokenizer: tok, oosDetector: null });
  const [withQ, plainQ, withFp] = [(await q(texts)) as { label: string; fallback?: boolean }[][], (await q(texts, { oosThreshold: null })) as { label: string; fallback?: boolean }[][], (await fp(texts)) as { label: string }[][]];
  const fallbacks = withQ.filter((r) => r[0].fallback).length;
  assert.ok(fallbacks > 0, "the fallback triggered on some test queries");
  assert.ok(plainQ.every((r) => !r[0].fallback), "oosThreshold: null turns it off");
  const agree = withQ.filter((r, i) => r[0].label === withFp[i][0].label).length;
  assert.ok(agree / texts.length >= 0.98, `int8 and fp32 pipelines agree on ${agree} of ${texts.length} (fallback included)`);
  q.dispose();
  model.dispose();
});

test("quantizeDynamicModel errors: unsupported module types and dtypes, a model without Linear layers, unknown options", async () => {
  await ready;
  const model = tinyBert();
  assert.throws(() => quantizeDynamicModel(model, ["Conv2d" as "Linear"]), /module type "Conv2d" not supported \(supported: "Linear"/);
  assert.throws(() => quantizeDynamicModel(model, ["Linear", "LSTM" as "Linear"]), /module type "LSTM" not supported/);
  assert.throws(() => quantizeDynamicModel(model, ["Linear"], "float16" as "qint8"), /dtype "float16" is not supported \(use "qint8"/);
  assert.throws(() => quantizeDynamicModel(model, "Linear" as unknown as ["Linear"]), /qconfigSpec must be a list of module types/);
  assert.throws(() => quantizeDynamicModel(model, []), /qconfigSpec is empty/);
  assert.throws(() => quantizeDynamicModel(model, ["Linear"], "qint8", { per_channel: true } as object), /unknown option "per_channel"/);
  assert.throws(() => quantizeDynamicModel({} as PreTrainedModel), /expected one of our models \(a PreTrainedModel\), got Object/);
  // A model with no dense layers (every parameter an embedding or a norm).
  const noDense = tinyBert();
  noDense.isLinearWeight = () => false;
  assert.throws(() => quantizeDynamicModel(noDense), /the model has no Linear \(dense\) layers to quantize/);
  assert.throws(() => pipeline("text-classification", quantizeDynamicModel(model), {} as { tokenizer: BertTokenizer }), /pass options.tokenizer with a quantized model/);
  const dir = tmpDir();
  model.savePretrained(dir);
  assert.throws(() => DynamicQuantizedModel.fromPretrained(dir), /has no dynamic quantization_config/);
  model.dispose();
  noDense.dispose();
});
