// The ORT-style quantizers checked against the ONNX operator definitions
// (QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger)
// and ORT's quant_utils formulas, computed independently in numpy by
// test/fixtures/make_quantization_reference.py: every option's promise
// (element types, reduced ranges, per-channel scale shapes, zero points)
// is compared value by value.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { onnx } from "onnx-proto";
import { ready, FIXTURES, tmpDir, maxAbsDiff } from "../helpers/setup";
import { readJson } from "../../lib/utils/fs";
import { DataType, GraphBuilder, decodeModel, encodeModel, saveModel, quantizeDynamic, createModelForProvider, tensorValueInfo, inferElemTypes, exportToOnnx } from "../../lib/onnx";
import { BertForSequenceClassification, labelMaps } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";

interface WeightCase {
  type: "QInt8" | "QUInt8";
  reduce_range: boolean;
  axis: number | null;
  values: number[];
  scales: number[];
  zero_points: number[];
  x_quantized: number[];
  x_scale: number;
  x_zero_point: number;
  matmul_integer: number[];
  output: number[];
  dequantized: number[];
}
const ONNX = readJson<{ onnx: { w: number[]; w_shape: number[]; x: number[]; x_shape: number[]; weights: Record<string, WeightCase> } }>(path.join(FIXTURES, "quantization_reference.json"), "quantization fixture").onnx;

/** x [batch, 6] → MatMul(W [6, 5]) → y; ids → Gather(W as a 6-row table) → e. */
function tinyGraph(file: string): void {
  const g = new GraphBuilder("tiny");
  const x = g.input("x", DataType.FLOAT, ["batch", 6]);
  const ids = g.input("ids", DataType.INT64, ["n"]);
  const w = g.float("W", ONNX.w_shape, Float32Array.from(ONNX.w));
  g.op("MatMul", [x, w], { name: "mm", output: "y" });
  g.op("Gather", [g.float("E", ONNX.w_shape, Float32Array.from(ONNX.w)), ids], { name: "embed", output: "e" });
  g.output("y", DataType.FLOAT, ["batch", 5]);
  g.output("e", DataType.FLOAT, ["n", 5]);
  saveModel(g.model(17), file);
}

function initializers(file: string): Map<string, onnx.ITensorProto> {
  return new Map(decodeModel(new Uint8Array(fs.readFileSync(file))).graph!.initializer!.map((t) => [t.name!, t]));
}

/** Integer or float values of an initializer by its element type. */
function valuesOf(t: onnx.ITensorProto): number[] {
  const raw = new Uint8Array(t.rawData!);
  const b = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  if (t.dataType === DataType.INT8) return [...new Int8Array(b)];
  if (t.dataType === DataType.UINT8) return [...new Uint8Array(b)];
  if (t.dataType === DataType.FLOAT) return [...new Float32Array(b)];
  throw new Error(`unexpected dataType ${t.dataType}`);
}

/** Runs a model with some intermediate tensors exposed as outputs (graph optimizations off, as the ONNX definitions compute). */
async function runExposing(file: string, feeds: Record<string, ort.Tensor>, expose: string[], level: "disabled" | "all" = "disabled") {
  const m = decodeModel(new Uint8Array(fs.readFileSync(file)));
  const types = inferElemTypes(m.graph!);
  for (const t of expose) m.graph!.output!.push(tensorValueInfo(t, types.get(t)!));
  const s = await createModelForProvider(encodeModel(m), "cpu", { graphOptimizationLevel: level });
  const out = await s.run(feeds);
  await s.release();
  return out;
}

const feeds = () => ({
  x: new ort.Tensor("float32", Float32Array.from(ONNX.x), ONNX.x_shape),
  ids: new ort.Tensor("int64", BigInt64Array.from([0n, 2n, 5n]), [3]),
});

for (const [name, c] of Object.entries(ONNX.weights)) {
  test(`quantizeDynamic (${name}): weights, scales and zero points equal QuantizeLinear/ORT quant_utils; DynamicQuantizeLinear and MatMulInteger outputs equal the ONNX definitions`, async () => {
    await ready;
    const dir = tmpDir();
    const fp32 = path.join(dir, "tiny.onnx");
    const int8 = path.join(dir, "tiny_q.onnx");
    tinyGraph(fp32);
    quantizeDynamic(fp32, int8, { weightType: c.type, reduceRange: c.reduce_range, perChannel: c.axis !== null, opTypesToQuantize: ["MatMul"] });
    const inits = initializers(int8);
    const qType = c.type === "QInt8" ? DataType.INT8 : DataType.UINT8;
    const [wq, ws, wz] = ["W_quantized", "W_scale", "W_zero_point"].map((n) => inits.get(n)!);
    // Element types: the weight and its zero point in the weight type, the scale float.
    assert.equal(wq.dataType, qType);
    assert.equal(wz.dataType, qType);
    assert.equal(ws.dataType, DataType.FLOAT);
    assert.deepEqual(wq.dims!.map(Number), ONNX.w_shape);
    // Per channel: one scale and zero point per output column (axis 1 of [in, out]); else scalars.
    const channelDims = c.axis === null ? [] : [ONNX.w_shape[1]];
    assert.deepEqual(ws.dims!.map(Number), channelDims);
    assert.deepEqual(wz.dims!.map(Number), channelDims);
    assert.deepEqual(valuesOf(wq), c.values, "int8 weights");
    assert.deepEqual(valuesOf(ws), c.scales.map(Math.fround), "scales");
    assert.deepEqual(valuesOf(wz), c.zero_points, "zero points");
    // Reduced range: 7-bit weights.
    const [lo, hi] = c.reduce_range ? (c.type === "QInt8" ? [-64, 64] : [0, 127]) : c.type === "QInt8" ? [-127, 127] : [0, 255];
    assert.ok(valuesOf(wq).every((v) => v >= lo && v <= hi), `values outside [${lo}, ${hi}]`);
    if (c.reduce_range) assert.ok(valuesOf(wq).some((v) => v === hi || v === lo), "the reduced range is used to its end");
    // The graph, run op by op: DynamicQuantizeLinear(x) and MatMulInteger equal their definitions, y = acc · (sx · sw).
    const graph = decodeModel(new Uint8Array(fs.readFileSync(int8))).graph!;
    const dql = graph.node!.find((n) => n.opType === "DynamicQuantizeLinear")!;
    const mmi = graph.node!.find((n) => n.opType === "MatMulInteger")!;
    const out = await runExposing(int8, feeds(), [...dql.output!, mmi.output![0]]);
    assert.deepEqual([...(out[dql.output![0]].data as Uint8Array)], c.x_quantized);
    assert.equal((out[dql.output![1]].data as Float32Array)[0], Math.fround(c.x_scale));
    assert.equal((out[dql.output![2]].data as Uint8Array)[0], c.x_zero_point);
    assert.deepEqual([...(out[mmi.output![0]].data as Int32Array)], c.matmul_integer);
    assert.deepEqual([...(out.y.data as Float32Array)], c.output);
    // ORT's fused kernel (every optimization) computes the same, up to float rounding.
    const fused = await runExposing(int8, feeds(), [], "all");
    assert.ok(maxAbsDiff(fused.y.data as Float32Array, c.output) < 1e-5);
  });
}

test("quantizeDynamic Gather: an int8 table (symmetric, per tensor) read through DequantizeLinear gives the dequantized rows", async () => {
  await ready;
  const dir = tmpDir();
  const fp32 = path.join(dir, "tiny.onnx");
  const int8 = path.join(dir, "tiny_q.onnx");
  tinyGraph(fp32);
  const { quantizedNodes } = quantizeDynamic(fp32, int8, { opTypesToQuantize: ["Gather"] });
  assert.deepEqual(quantizedNodes, ["embed"]);
  const inits = initializers(int8);
  const c = ONNX.weights.int8;
  assert.equal(inits.get("E_quantized")!.dataType, DataType.INT8);
  assert.equal(inits.get("E_zero_point")!.dataType, DataType.INT8);
  assert.deepEqual(inits.get("E_scale")!.dims!.map(Number), []);
  assert.deepEqual(valuesOf(inits.get("E_quantized")!), c.values);
  assert.deepEqual(valuesOf(inits.get("E_scale")!), c.scales.map(Math.fround));
  assert.deepEqual(valuesOf(inits.get("E_zero_point")!), [0]);
  const out = await runExposing(int8, feeds(), []);
  const rows = [0, 2, 5].flatMap((r) => c.dequantized.slice(r * 5, r * 5 + 5));
  assert.deepEqual([...(out.e.data as Float32Array)], rows);
});

const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ..."abcdefghijklmnopqrstuvwxyz".split(""), ..."abcdefghijklmnopqrstuvwxyz".split("").map((c) => `##${c}`)]);

test("quantizeDynamic on a BERT: every quantized initializer and zero point has the promised element type and range; per-channel scales are one per output column", async () => {
  await ready;
  const model = BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64, initializer_range: 0.1, ...labelMaps(["a", "b", "c"]) }, { seed: 3 });
  const dir = tmpDir();
  const fp32 = path.join(dir, "model.onnx");
  exportToOnnx(model, fp32);
  const floatInits = initializers(fp32);
  const matmulWeights = decodeModel(new Uint8Array(fs.readFileSync(fp32))).graph!.node!.filter((n) => n.opType === "MatMul" && floatInits.has(n.input![1])).map((n) => n.input![1]);
  assert.equal(matmulWeights.length, 14);
  for (const [opts, type, lo, hi] of [
    [{}, DataType.INT8, -127, 127],
    [{ reduceRange: true }, DataType.INT8, -64, 64],
    [{ weightType: "QUInt8" as const }, DataType.UINT8, 0, 255],
    [{ weightType: "QUInt8" as const, reduceRange: true }, DataType.UINT8, 0, 127],
    [{ perChannel: true }, DataType.INT8, -127, 127],
  ] as const) {
    const out = path.join(dir, `q_${JSON.stringify(opts).replace(/\W/g, "")}.onnx`);
    quantizeDynamic(fp32, out, opts);
    const inits = initializers(out);
    const quantized = [...inits.values()].filter((t) => t.name!.endsWith("_quantized"));
    assert.equal(quantized.length, 14 + 3, "14 MatMul weights and 3 embedding tables");
    for (const t of quantized) {
      const base = t.name!.slice(0, -"_quantized".length);
      assert.equal(t.dataType, type, `${t.name} element type (${JSON.stringify(opts)})`);
      assert.equal(inits.get(`${base}_zero_point`)!.dataType, type, `${base}_zero_point element type`);
      const v = valuesOf(t);
      assert.ok(v.every((x) => x >= lo && x <= hi), `${t.name} outside [${lo}, ${hi}] (${JSON.stringify(opts)})`);
      const scale = inits.get(`${base}_scale`)!;
      const isMatMul = matmulWeights.includes(base);
      // Per channel: one scale per output column of each MatMul weight; tables stay per tensor.
      const expected = "perChannel" in opts && isMatMul ? [Number(floatInits.get(base)!.dims![1])] : [];
      assert.deepEqual(scale.dims!.map(Number), expected, `${base}_scale dims`);
      assert.deepEqual(inits.get(`${base}_zero_point`)!.dims!.map(Number), expected);
    }
  }
  model.dispose();
});
