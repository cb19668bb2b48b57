import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { ready, maxAbsDiff, tmpDir } from "../helpers/setup";
import { computeScaleZeroPoint, dequantizeTensor, qRange, quantizeTensor, roundHalfEven } from "../../lib/int8/int8";
import { quantizePerChannel, quantizePerTensor } from "../../lib/int8/qtensor";
import { BertForSequenceClassification, labelMaps } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";
import { createModelForProvider, decodeModel, exportToOnnx, quantizeDynamic, DataType } from "../../lib/onnx";
import { OnnxClassifier } from "../../lib/pipelines";
import { OnnxPipeline } from "../../lib/pipelines";
import { exportedTinyBert, letterTokenizer } from "../helpers/exportedBert";

test("int8 ranges, rounding, scales and zero points follow ONNX Runtime's quant_utils", () => {
  assert.deepEqual([qRange("QInt8"), qRange("QInt8", false, true), qRange("QInt8", true), qRange("QUInt8"), qRange("QUInt8", true)], [[-128, 127], [-127, 127], [-64, 64], [0, 255], [0, 127]]);
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6].map(roundHalfEven), [0, 2, 2, -0, -2, 2, -3]);
  assert.deepEqual(computeScaleZeroPoint(-1, 2, -127, 127, true), { scale: Math.fround(4 / 254), zeroPoint: 0 });
  const asym = computeScaleZeroPoint(0.5, 2, 0, 255, false); // range widened to include 0
  assert.equal(asym.scale, Math.fround(2 / 255));
  assert.equal(asym.zeroPoint, 0);
  assert.deepEqual(computeScaleZeroPoint(0, 0, -127, 127, true), { scale: 1, zeroPoint: 0 });
  assert.throws(() => computeScaleZeroPoint(NaN, 1, -127, 127, true), /not finite/);

  const w = Float32Array.of(-1, -0.5, 0, 0.25, 0.5, 2);
  const q = quantizeTensor(w, [2, 3]);
  assert.equal(q.type, "QInt8");
  assert.deepEqual([...q.zeroPoint], [0]);
  assert.equal(q.scale[0], Math.fround(2 / 127));
  assert.deepEqual([...q.values], [-64, -32, 0, 16, 32, 127]);
  assert.ok(maxAbsDiff(dequantizeTensor(q), w) <= q.scale[0] / 2 + 1e-7);
  // Per channel along axis 1 (the output columns of a MatMul weight).
  const pc = quantizeTensor(w, [2, 3], { axis: 1 });
  // Columns of [[-1, -0.5, 0], [0.25, 0.5, 2]]: absmax 1, 0.5, 2.
  assert.ok(maxAbsDiff([...pc.scale].map((s) => s * 127), [1, 0.5, 2]) < 1e-6);
  assert.ok(maxAbsDiff(dequantizeTensor(pc), w) <= Math.max(...pc.scale) / 2 + 1e-7);
  const u = quantizeTensor(w, [6], { type: "QUInt8" });
  assert.ok(u.values instanceof Uint8Array && u.zeroPoint[0] > 0);
  assert.ok(maxAbsDiff(dequantizeTensor(u), w) <= u.scale[0] / 2 + 1e-6);
  assert.throws(() => quantizeTensor(w, [4]), /6 values for shape \[4\]/);
  assert.throws(() => quantizeTensor(w, [2, 3], { axis: 2 }), /axis 2 is out of range/);
});

const tokenizer = letterTokenizer;
const texts = ["a", "hello world", "transfer money from my account", "what is the pin number for my account", "book a table", "play some music"];

const exported = exportedTinyBert;

async function logitsOf(file: string, optimized?: string) {
  const session = await createModelForProvider(file, "cpu", optimized ? { optimizedModelFilePath: optimized } : {});
  const pipe = new OnnxPipeline(session, tokenizer, { 0: "a", 1: "b", 2: "c", 3: "d", 4: "e" }) as OnnxClassifier;
  return (await pipe._forward(tokenizer.call(texts))).map((r) => [...r]);
}

test("quantizeDynamic: MatMul and Gather weights become int8; logits stay close to fp32 with the same argmax", async () => {
  const { model, dir, fp32 } = await exported();
  const int8 = path.join(dir, "model_quantized.onnx");
  const { quantizedNodes } = quantizeDynamic(fp32, int8);
  const graph = decodeModel(new Uint8Array(fs.readFileSync(int8))).graph!;
  const ops = graph.node!.map((n) => n.opType);
  // 2 layers × 6 linear layers + pooler + classifier MatMuls, 3 embedding Gathers.
  assert.equal(ops.filter((o) => o === "MatMulInteger").length, 14);
  assert.equal(ops.filter((o) => o === "DynamicQuantizeLinear").length, 14);
  assert.equal(ops.filter((o) => o === "DequantizeLinear").length, 3);
  assert.equal(ops.filter((o) => o === "MatMul").length, 4); // attention scores and context: activations, kept float
  assert.equal(quantizedNodes.length, 17);
  const byName = new Map(graph.initializer!.map((t) => [t.name, t]));
  assert.equal(byName.get("bert.encoder.layer.0.attention.self.query.weight_quantized")?.dataType, DataType.INT8);
  assert.equal(byName.get("bert.embeddings.word_embeddings.weight_quantized")?.dataType, DataType.INT8);
  assert.ok(!byName.has("bert.encoder.layer.0.attention.self.query.weight"), "the float weight is dropped");
  // Each quantized weight holds one byte per float it replaced (the ≥ 3.5x file target is a benchmark on the real model).
  const floatGraph = decodeModel(new Uint8Array(fs.readFileSync(fp32))).graph!;
  for (const t of floatGraph.initializer!.filter((t) => byName.has(`${t.name}_quantized`))) {
    assert.equal(byName.get(`${t.name}_quantized`)!.rawData!.length * 4, t.rawData!.length, t.name!);
  }
  assert.ok(fs.statSync(int8).size < fs.statSync(fp32).size * 0.6, `sizes ${fs.statSync(int8).size} vs ${fs.statSync(fp32).size}`);
  const [a, b] = [await logitsOf(fp32), await logitsOf(int8)];
  const argmax = (r: number[]) => r.indexOf(Math.max(...r));
  const spread = Math.max(...a.flat()) - Math.min(...a.flat());
  assert.ok(maxAbsDiff(a.flat(), b.flat()) < 0.05 * spread, `int8 logits differ by ${maxAbsDiff(a.flat(), b.flat())} (spread ${spread})`);
  assert.deepEqual(b.map(argmax), a.map(argmax));
  // Round trip through ONNX Runtime's optimizer (fusions on the quantized graph).
  const optimized = path.join(dir, "model_quantized.opt.onnx");
  const c = await logitsOf(int8, optimized);
  assert.ok(fs.existsSync(optimized), "optimized model written");
  // ORT recognises our patterns: every quantized MatMul becomes one fused int8
  // kernel, and the exported GELU one Gelu op (the speed of int8 depends on it).
  const fusedOps = decodeModel(new Uint8Array(fs.readFileSync(optimized))).graph!.node!.map((n) => n.opType!);
  assert.equal(fusedOps.filter((o) => o === "MatMulInteger").length, 0, "MatMulInteger left unfused");
  assert.equal(fusedOps.filter((o) => o === "DynamicQuantizeMatMul" || o === "MatMulIntegerToFloat").length, 14);
  assert.equal(fusedOps.filter((o) => o === "Gelu").length, 2);
  assert.ok(!fusedOps.includes("Erf"), "GELU left unfused");
  assert.ok(maxAbsDiff(b.flat(), c.flat()) < 1e-4);
  const d = await logitsOf(optimized);
  assert.ok(maxAbsDiff(b.flat(), d.flat()) < 1e-4);
  model.dispose();
});

test("quantizeDynamic options: per channel, QUInt8, reduce range, nodesToExclude, opTypesToQuantize; errors", async () => {
  const { model, dir, fp32 } = await exported();
  const ref = await logitsOf(fp32);
  for (const [i, opts] of [{ perChannel: true }, { weightType: "QUInt8" as const }, { reduceRange: true }].entries()) {
    const out = path.join(dir, `q${i}.onnx`);
    quantizeDynamic(fp32, out, opts);
    const l = await logitsOf(out);
    assert.ok(maxAbsDiff(ref.flat(), l.flat()) < 0.5, `${JSON.stringify(opts)}: ${maxAbsDiff(ref.flat(), l.flat())}`);
  }
  const perChannel = decodeModel(new Uint8Array(fs.readFileSync(path.join(dir, "q0.onnx")))).graph!.initializer!.find((t) => t.name === "classifier.weight_scale")!;
  assert.deepEqual(perChannel.dims!.map(Number), [5]);
  const only = quantizeDynamic(fp32, path.join(dir, "q3.onnx"), { opTypesToQuantize: ["MatMul"], nodesToExclude: ["classifier/MatMul"] });
  assert.equal(only.quantizedNodes.length, 13);
  assert.ok(!only.quantizedNodes.includes("classifier/MatMul"));
  const some = quantizeDynamic(fp32, path.join(dir, "q4.onnx"), { nodesToQuantize: ["classifier/MatMul"] });
  assert.deepEqual(some.quantizedNodes, ["classifier/MatMul"]);
  assert.throws(() => quantizeDynamic(fp32, path.join(dir, "x.onnx"), { opTypesToQuantize: ["MatMul", "Conv", "LSTM"] }), /unsupported op types in opTypesToQuantize: Conv, LSTM/);
  assert.throws(() => quantizeDynamic(path.join(dir, "none.onnx"), path.join(dir, "x.onnx")), /ONNX model not found/);
  fs.writeFileSync(path.join(dir, "bad.onnx"), Buffer.from([0xff, 0xff, 0xff, 0xff]));
  assert.throws(() => quantizeDynamic(path.join(dir, "bad.onnx"), path.join(dir, "x.onnx")), /Corrupt ONNX file/);
  assert.throws(() => quantizeDynamic(fp32, path.join(dir, "x.onnx"), { weightType: "QInt4" as any }), /weightType must be "QInt8" or "QUInt8"/);
  model.dispose();
});

test("NaN and Infinity are errors naming their index: ORT-style quantizeTensor (both), torch-style quantizePerTensor/PerChannel (NaN; Infinity saturates as torch's)", () => {
  assert.throws(() => quantizeTensor(Float32Array.of(0, 1, NaN, 2), [2, 2]), /^Error: quantizeTensor: the tensor \[2,2\] holds NaN at index 2; 8-bit quantization needs finite values \(its scale would be NaN\)$/);
  assert.throws(() => quantizeTensor(Float32Array.of(0, 1, 2, -Infinity), [2, 2], { axis: 0 }), /holds -Infinity at index 3; 8-bit quantization needs finite values \(its scale would be infinite\)/);
  assert.throws(() => quantizeTensor(Float32Array.of(Infinity), [1], { type: "QUInt8" }), /holds Infinity at index 0/);
  assert.throws(() => quantizePerTensor(Float32Array.of(0.5, NaN), 0.1, 0, "qint8"), /quantizePerTensor: the input holds NaN at index 1; it has no quantized value/);
  assert.throws(() => quantizePerChannel(Float32Array.of(1, 2, NaN, 4), [0.1, 0.1], [0, 0], 0, "qint8", { shape: [2, 2] }), /quantizePerChannel: the input holds NaN at index 2/);
  assert.deepEqual([...quantizePerTensor(Float32Array.of(Infinity, -Infinity), 0.1, 0, "qint8").intRepr()], [127, -128]);
});
