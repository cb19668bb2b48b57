// Static (calibrated) quantization: calibration ranges against independent
// computations, the QDQ graph against the ONNX operator definitions
// (fixture written by test/fixtures/make_quantization_reference.py), and
// the errors a user meets.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import * as tf from "@tensorflow/tfjs-core";
import { onnx } from "onnx-proto";
import { ready, FIXTURES, tmpDir, maxAbsDiff } from "../helpers/setup";
import { readJson } from "../../lib/utils/fs";
import { CalibrationDataReader, DataType, GraphBuilder, TensorHistogram, TextCalibrationDataReader, createCalibrator, createModelForProvider, decodeModel, exportToOnnx, percentileRange, quantizeStatic, saveModel } from "../../lib/onnx";
import { OnnxPipeline } from "../../lib/pipelines";
import { BertForSequenceClassification, labelMaps } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";
import { exportedTinyBert, letterTokenizer } from "../helpers/exportedBert";

interface HistCase {
  values: number[];
  percentile_75_symmetric: [number, number];
  percentile_75_asymmetric: [number, number];
  percentile_symmetric: [number, number];
  percentile_99_symmetric: [number, number];
  percentile_99_asymmetric: [number, number];
}
interface StaticRef {
  calibration: number[][];
  input_range: [number, number];
  output_range: [number, number];
  bias: number[];
  output: number[];
  input_scale: number;
  input_zero_point: number;
  output_scale: number;
  output_zero_point: number;
  weight_values: number[];
  weight_scale: number;
}
const ONNX = readJson<{ onnx: { w: number[]; w_shape: number[]; x: number[]; x_shape: number[]; static: StaticRef; histogram: HistCase[] } }>(path.join(FIXTURES, "quantization_reference.json"), "quantization fixture").onnx;
const S = ONNX.static;

/** Feeds from a list, as ORT's examples' readers. */
class ListReader implements CalibrationDataReader {
  constructor(private readonly batches: Record<string, ort.Tensor>[]) {}
  getNext() {
    return this.batches.shift() ?? null;
  }
}

/** x [batch, 6] → MatMul(W) → mm → Add(bias) → y. */
function tinyLinear(file: string): void {
  const g = new GraphBuilder("tiny");
  const x = g.input("x", DataType.FLOAT, ["batch", 6]);
  g.op("MatMul", [x, g.float("W", ONNX.w_shape, Float32Array.from(ONNX.w))], { name: "mm", output: "mm" });
  g.op("Add", ["mm", g.float("bias", [5], Float32Array.from(S.bias))], { name: "add", output: "y" });
  g.output("y", DataType.FLOAT, ["batch", 5]);
  saveModel(g.model(17), file);
}

const batches = () => S.calibration.map((b) => ({ x: new ort.Tensor("float32", Float32Array.from(b), [b.length / 6, 6]) }));

function inits(file: string): Map<string, onnx.ITensorProto> {
  return new Map(decodeModel(new Uint8Array(fs.readFileSync(file))).graph!.initializer!.map((t) => [t.name!, t]));
}

function values(t: onnx.ITensorProto): number[] {
  const raw = new Uint8Array(t.rawData!);
  const b = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  return t.dataType === DataType.INT8 ? [...new Int8Array(b)] : t.dataType === DataType.UINT8 ? [...new Uint8Array(b)] : [...new Float32Array(b)];
}

test("quantizeStatic (QDQ, MinMax): calibrated ranges, activation scales/zero points (QUInt8) and int8 weights equal ORT's formulas; the graph computes Q/DQ as ONNX defines them", async () => {
  await ready;
  const dir = tmpDir();
  const fp32 = path.join(dir, "tiny.onnx");
  const out = path.join(dir, "tiny_static.onnx");
  tinyLinear(fp32);
  const { quantizedNodes, tensorsRange } = await quantizeStatic(fp32, out, new ListReader(batches()), { opTypesToQuantize: ["MatMul"] });
  assert.deepEqual(quantizedNodes, ["mm"]);
  assert.deepEqual(tensorsRange.x, { lowest: S.input_range[0], highest: S.input_range[1] });
  assert.deepEqual(tensorsRange.mm, { lowest: S.output_range[0], highest: S.output_range[1] });
  const i = inits(out);
  assert.equal(i.get("x_scale")!.dataType, DataType.FLOAT);
  assert.equal(i.get("x_zero_point")!.dataType, DataType.UINT8);
  assert.deepEqual(values(i.get("x_scale")!), [Math.fround(S.input_scale)]);
  assert.deepEqual(values(i.get("x_zero_point")!), [S.input_zero_point]);
  assert.deepEqual(values(i.get("mm_scale")!), [Math.fround(S.output_scale)]);
  assert.deepEqual(values(i.get("mm_zero_point")!), [S.output_zero_point]);
  assert.equal(i.get("W_quantized")!.dataType, DataType.INT8);
  assert.equal(i.get("W_zero_point")!.dataType, DataType.INT8);
  assert.deepEqual(values(i.get("W_quantized")!), S.weight_values);
  assert.deepEqual(values(i.get("W_scale")!), [Math.fround(S.weight_scale)]);
  assert.ok(!i.has("W"), "the float weight is gone");
  const graph = decodeModel(new Uint8Array(fs.readFileSync(out))).graph!;
  const ops = graph.node!.map((n) => n.opType);
  assert.deepEqual(ops.filter((o) => o === "QuantizeLinear").length, 2);
  assert.deepEqual(ops.filter((o) => o === "DequantizeLinear").length, 3);
  // The MatMul reads dequantized tensors; the Add reads the dequantized MatMul output.
  const mm = graph.node!.find((n) => n.name === "mm")!;
  assert.deepEqual(mm.input, ["x_DequantizeLinear_Output", "W_DequantizeLinear_Output"]);
  assert.deepEqual(graph.node!.find((n) => n.name === "add")!.input![0], "mm_DequantizeLinear_Output");
  // Run op by op (no fusion): DQ(Q(x)) · DQ(W) → Q → DQ → + bias, as the fixture computes it.
  const x = new ort.Tensor("float32", Float32Array.from(ONNX.x), ONNX.x_shape);
  const plain = await createModelForProvider(out, "cpu", { graphOptimizationLevel: "disabled" });
  const y = (await plain.run({ x })).y.data as Float32Array;
  assert.ok(maxAbsDiff(y, S.output) < 1e-6, `QDQ output differs by ${maxAbsDiff(y, S.output)}`);
  // ONNX Runtime's optimizer turns the group into one QLinearMatMul and computes the same.
  const optimized = path.join(dir, "tiny_static.opt.onnx");
  const fused = await createModelForProvider(out, "cpu", { optimizedModelFilePath: optimized });
  const fusedOps = decodeModel(new Uint8Array(fs.readFileSync(optimized))).graph!.node!.map((n) => n.opType);
  assert.ok(fusedOps.includes("QLinearMatMul"), `fused ops: ${fusedOps.join(", ")}`);
  assert.ok(!fusedOps.includes("MatMul"));
  assert.ok(maxAbsDiff((await fused.run({ x })).y.data as Float32Array, S.output) < 1e-6);
  await Promise.all([plain.release(), fused.release()]);
});

test("quantizeStatic options: per channel (a DequantizeLinear with axis 1 and one scale per column), QInt8 activations, reduce range, symmetric activations, unquantized outputs", async () => {
  await ready;
  const dir = tmpDir();
  const fp32 = path.join(dir, "tiny.onnx");
  tinyLinear(fp32);
  const run = async (name: string, opts: Parameters<typeof quantizeStatic>[3]) => {
    const out = path.join(dir, `${name}.onnx`);
    await quantizeStatic(fp32, out, new ListReader(batches()), { opTypesToQuantize: ["MatMul"], ...opts });
    return { i: inits(out), graph: decodeModel(new Uint8Array(fs.readFileSync(out))).graph! };
  };
  const pc = await run("pc", { perChannel: true });
  assert.deepEqual(pc.i.get("W_scale")!.dims!.map(Number), [5]);
  assert.deepEqual(pc.i.get("W_zero_point")!.dims!.map(Number), [5]);
  assert.equal(pc.i.get("W_zero_point")!.dataType, DataType.INT8);
  const dqW = pc.graph.node!.find((n) => n.name === "W_DequantizeLinear")!;
  assert.deepEqual(dqW.attribute!.map((a) => [a.name, Number(a.i)]), [["axis", 1]]);
  // Each column's scale is its own max|w| / 127.
  const w = ONNX.w;
  const colMax = [0, 1, 2, 3, 4].map((c) => Math.max(...[0, 1, 2, 3, 4, 5].map((r) => Math.abs(w[r * 5 + c]))));
  assert.deepEqual(values(pc.i.get("W_scale")!), colMax.map((m) => Math.fround(m / 127)));
  const s8 = await run("s8", { activationType: "QInt8" });
  assert.equal(s8.i.get("x_zero_point")!.dataType, DataType.INT8);
  assert.ok(values(s8.i.get("x_zero_point")!)[0] >= -128 && values(s8.i.get("x_zero_point")!)[0] <= 127);
  const rr = await run("rr", { reduceRange: true });
  assert.ok(values(rr.i.get("W_quantized")!).every((v) => v >= -64 && v <= 64));
  assert.ok(values(rr.i.get("W_quantized")!).some((v) => Math.abs(v) === 64));
  const sym = await run("sym", { activationSymmetric: true });
  assert.deepEqual(values(sym.i.get("x_zero_point")!), [127], "symmetric QUInt8 centres zero in [0, 254]");
  const noOut = await run("noout", { opTypesToExcludeOutputQuantization: ["MatMul"] });
  assert.ok(!noOut.i.has("mm_scale"));
  assert.equal(noOut.graph.node!.filter((n) => n.opType === "QuantizeLinear").length, 1);
});

// Entropy ranges against ORT's own calibrate.py: test/onnx/entropyCalibration.test.ts.
test("histogram calibration equals ORT's calibrate.py on fixed tensors (Percentile symmetric/asymmetric), filled batch by batch", () => {
  for (const c of ONNX.histogram) {
    const v = Float32Array.from(c.values);
    const hist = (mode: "value" | "absolute", bins: number) => {
      const h = new TensorHistogram(mode, bins);
      h.observe(v.subarray(0, 100));
      h.observe(v.subarray(100));
      h.add(v.subarray(0, 100));
      h.add(v.subarray(100));
      return h;
    };
    const pair = (r: { lowest: number; highest: number }) => [r.lowest, r.highest];
    assert.deepEqual(pair(percentileRange(hist("absolute", 2048), 99.999, true)), c.percentile_symmetric);
    assert.deepEqual(pair(percentileRange(hist("absolute", 2048), 99, true)), c.percentile_99_symmetric);
    assert.deepEqual(pair(percentileRange(hist("value", 2048), 99, false)), c.percentile_99_asymmetric);
    assert.deepEqual(pair(percentileRange(hist("absolute", 2048), 75, true)), c.percentile_75_symmetric);
    assert.deepEqual(pair(percentileRange(hist("value", 2048), 75, false)), c.percentile_75_asymmetric);
  }
});

const tokenizer = letterTokenizer;
const texts = ["a", "hello world", "transfer money from my account", "what is the pin number for my account", "book a table", "play some music", "how is the weather"];

const tinyBert = exportedTinyBert;

test("calibration ranges of a tiny BERT equal an independent computation: min/max of the TensorFlow.js model's hidden states and attention probabilities", async () => {
  const { model, fp32 } = await tinyBert();
  const cal = await createCalibrator(fp32, "MinMax", { opTypesToCalibrate: ["MatMul"] });
  await cal.collectData(new TextCalibrationDataReader(tokenizer, texts));
  const ranges = cal.computeData();
  cal.release();
  // Independent: the tfjs forward pass, one text at a time (the reader's default, no padding).
  const mins = new Map<string, number>();
  const maxs = new Map<string, number>();
  const see = (name: string, t: tf.Tensor) => {
    const d = t.dataSync();
    let lo = Infinity, hi = -Infinity;
    for (const v of d) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    mins.set(name, Math.min(mins.get(name) ?? Infinity, lo));
    maxs.set(name, Math.max(maxs.get(name) ?? -Infinity, hi));
  };
  for (const text of texts) {
    const enc = tokenizer.call([text]);
    tf.tidy(() => {
      const out = model.call({ input_ids: tf.tensor2d(enc.input_ids, undefined, "int32"), attention_mask: tf.tensor2d(enc.attention_mask, undefined, "int32") }, { outputHiddenStates: true, outputAttentions: true });
      see("embeddings/LayerNorm_output_0", out.hiddenStates![0]); // input of layer 0's query/key/value MatMuls
      see("layer.0/output/LayerNorm_output_0", out.hiddenStates![1]); // input of layer 1's
      see("layer.0/Softmax_output_0", out.attentions![0]); // input of the context MatMul
      see("layer.1/Softmax_output_0", out.attentions![1]);
      see("head/cls/Gather_output_0", tf.slice(out.hiddenStates![2], [0, 0, 0], [1, 1, -1])); // input of the pooler MatMul
    });
  }
  for (const name of mins.keys()) {
    assert.ok(name in ranges, `${name} was calibrated`);
    assert.ok(Math.abs(ranges[name].lowest - mins.get(name)!) < 1e-5, `${name} min ${ranges[name].lowest} vs ${mins.get(name)}`);
    assert.ok(Math.abs(ranges[name].highest - maxs.get(name)!) < 1e-5, `${name} max ${ranges[name].highest} vs ${maxs.get(name)}`);
  }
  // Every MatMul input and output was calibrated: 2 layers × (6 dense + 2 attention) MatMuls + pooler + classifier.
  const graph = decodeModel(new Uint8Array(fs.readFileSync(fp32))).graph!;
  const matmuls = graph.node!.filter((n) => n.opType === "MatMul");
  assert.equal(matmuls.length, 18);
  const inits = new Set(graph.initializer!.map((t) => t.name));
  for (const n of matmuls) for (const t of [...n.input!, ...n.output!]) if (!inits.has(t)) assert.ok(t in ranges, `${t} (of ${n.name}) calibrated`);
  // With ORT's default bins (128 bins, 128 levels) the entropy method has one candidate: the whole range, i.e. MinMax's.
  const ent = await createCalibrator(fp32, "Entropy", { opTypesToCalibrate: ["MatMul"] });
  await ent.collectData(new TextCalibrationDataReader(tokenizer, texts));
  const er = ent.computeData();
  ent.release();
  for (const [name, r] of Object.entries(ranges)) assert.deepEqual(er[name], r, name);
  model.dispose();
});

test("a statically quantized tiny BERT runs in ONNX Runtime (QLinearMatMul after fusion) and stays close to fp32", async () => {
  const { model, dir, fp32 } = await tinyBert();
  const out = path.join(dir, "static.onnx");
  const { quantizedNodes } = await quantizeStatic(fp32, out, new TextCalibrationDataReader(tokenizer, texts), { calibrateMethod: "Percentile" });
  assert.equal(quantizedNodes.length, 18 + 3, "every MatMul and the 3 embedding Gathers");
  const optimized = path.join(dir, "static.opt.onnx");
  const [a, b] = [new OnnxPipeline(await createModelForProvider(fp32), tokenizer, model.config.id2label), new OnnxPipeline(await createModelForProvider(out, "cpu", { optimizedModelFilePath: optimized }), tokenizer, model.config.id2label)];
  const fused = decodeModel(new Uint8Array(fs.readFileSync(optimized))).graph!.node!.map((n) => n.opType);
  assert.equal(fused.filter((o) => o === "QLinearMatMul").length, 18);
  const enc = tokenizer.call(texts);
  const [x, y] = [(await a._forward(enc)).flatMap((r) => [...r]), (await b._forward(enc)).flatMap((r) => [...r])];
  const spread = Math.max(...x) - Math.min(...x);
  assert.ok(maxAbsDiff(x, y) < 0.1 * spread, `static int8 logits differ by ${maxAbsDiff(x, y)} (spread ${spread})`);
  a.dispose();
  b.dispose();
  model.dispose();
});

test("static quantization errors: empty calibration data, a reader without the model's inputs, unknown method, format, op types and options", async () => {
  const { model, dir, fp32 } = await tinyBert();
  const out = path.join(dir, "x.onnx");
  await assert.rejects(quantizeStatic(fp32, out, new ListReader([])), /quantizeStatic: calibration: no calibration data \(the data reader's first getNext\(\) returned nothing\)/);
  await assert.rejects(quantizeStatic(fp32, out, new TextCalibrationDataReader(tokenizer, [])), /no calibration data/);
  await assert.rejects(quantizeStatic(fp32, out, new ListReader([{ ids: new ort.Tensor("int64", BigInt64Array.of(1n), [1, 1]) }])), /batch 0 has no "input_ids", "attention_mask", "token_type_ids"/);
  await assert.rejects(quantizeStatic(fp32, out, new ListReader([]), { calibrateMethod: "KL" as "Entropy" }), /calibrateMethod must be one of "MinMax", "Percentile", "Entropy", got "KL"/);
  await assert.rejects(quantizeStatic(fp32, out, new ListReader([]), { quantFormat: "QOperator" }), /quantFormat "QOperator" is not supported/);
  await assert.rejects(quantizeStatic(fp32, out, new ListReader([]), { opTypesToQuantize: ["MatMul", "Conv"] }), /unsupported op types in opTypesToQuantize: Conv/);
  await assert.rejects(quantizeStatic(fp32, out, new ListReader([]), { per_channel: true } as object), /unknown option "per_channel"/);
  await assert.rejects(quantizeStatic(fp32, out, new ListReader([]), { activationType: "QInt4" as "QInt8" }), /activationType must be "QInt8" or "QUInt8", got "QInt4"/);
  await assert.rejects(quantizeStatic(path.join(dir, "none.onnx"), out, new ListReader([])), /ONNX model not found/);
  assert.throws(() => new TextCalibrationDataReader(tokenizer, ["ok", "  "]), /text 1 is empty/);
  assert.throws(() => new TextCalibrationDataReader(tokenizer, ["ok"], { batchSize: 0 }), /batchSize must be a positive integer, got 0/);
  await assert.rejects(createCalibrator(fp32, "MinMax", { opTypesToCalibrate: ["Conv"] }), /no float tensors to calibrate for op types \["Conv"\]/);
  await assert.rejects(createCalibrator(fp32, "Percentile", { percentile: 101 }), /percentile must be in \[0, 100\], got 101/);
  assert.ok(!fs.existsSync(out), "nothing written on error");
  model.dispose();
});
