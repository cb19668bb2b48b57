// The chapter times `weights @ weights` in float32 against the same product on
// quantized tensors. Here both run in ONNX Runtime, one intra-op thread, as
// single-node graphs: MatMul on float32, and MatMulInteger with the left
// operand in uint8 and the right in int8 — the kernel and the types our
// dynamically quantized models run (ORT quantizes activations to uint8;
// MLAS's fast integer paths are u8·s8) — so the comparison is kernel against
// kernel on this CPU, fed the same matrix.
import * as ort from "onnxruntime-node";
import { DataType, GraphBuilder, encodeModel, tensorProto } from "../onnx/graphBuilder";
import { createModelForProvider } from "../onnx/session";
import { measureLatency } from "../utils/latency";
import { QTensor } from "../int8/qtensor";
import { computeScaleZeroPoint, roundHalfEven } from "../int8/int8";

export interface MatMulTiming {
  /** Mean and standard deviation (ms) of one product. */
  float32: { mean: number; std: number };
  int8: { mean: number; std: number };
  /** float32 time / int8 time. */
  speedup: number;
}

/**
 * Times A @ A in float32 and in int8 (from `quantized`, per-tensor) in ONNX
 * Runtime, one thread each, warm-up then timed runs.
 *
 * @example
 * const t = await timeMatMul(weightRows, quantizePerTensor(weightRows, scale, 0, "qint8"), [256, 256]);
 * // { float32: { mean: 0.9, … }, int8: { mean: 0.5, … }, speedup: 1.8 }
 */
export async function timeMatMul(weight: Float32Array, quantized: QTensor, shape: [number, number], options: { warmupRuns?: number; timedRuns?: number } = {}): Promise<MatMulTiming> {
  const [n, m] = shape;
  if (n !== m) throw new Error(`timeMatMul: the matrix must be square to multiply by itself, got [${shape}]`);
  const right = quantized.intRepr();
  if (weight.length !== n * m || right.length !== n * m) throw new Error(`timeMatMul: ${weight.length} floats and ${right.length} integers for shape [${shape}]`);
  if (quantized.qScheme().startsWith("per_channel")) throw new Error("timeMatMul: pass a per-tensor quantized matrix");
  if (!(right instanceof Int8Array)) throw new Error(`timeMatMul: the quantized matrix must be qint8 (the right operand of ORT's u8·s8 kernels), got ${quantized.dtype}`);
  // The left operand as ORT's DynamicQuantizeLinear would quantize it: uint8, asymmetric over its range.
  const { scale, zeroPoint } = computeScaleZeroPoint(Math.min(...weight), Math.max(...weight), 0, 255, false);
  const left = Uint8Array.from(weight, (v) => Math.min(255, Math.max(0, roundHalfEven(v / scale) + zeroPoint)));
  const float = new GraphBuilder("float32 matmul");
  float.input("a", DataType.FLOAT, [n, m]);
  float.op("MatMul", ["a", float.float("b", [n, m], weight)], { output: "y" });
  float.output("y", DataType.FLOAT, [n, m]);
  const integer = new GraphBuilder("int8 matmul");
  integer.input("a", DataType.UINT8, [n, m]);
  integer.initializers.push(tensorProto("b", DataType.INT8, [n, m], right));
  integer.initializers.push(tensorProto("a_zero", DataType.UINT8, [], Uint8Array.of(zeroPoint)));
  integer.initializers.push(tensorProto("b_zero", DataType.INT8, [], Int8Array.of(quantized.qZeroPoint())));
  integer.op("MatMulInteger", ["a", "b", "a_zero", "b_zero"], { output: "y" });
  integer.output("y", DataType.INT32, [n, m]);
  const sessions = await Promise.all([createModelForProvider(encodeModel(float.model(17))), createModelForProvider(encodeModel(integer.model(17)))]);
  try {
    const a = new ort.Tensor("float32", weight, [n, m]);
    const q = new ort.Tensor("uint8", left, [n, m]);
    const opts = { warmupRuns: options.warmupRuns ?? 10, timedRuns: options.timedRuns ?? 100 };
    const f32 = await measureLatency(() => sessions[0].run({ a }), opts);
    const i8 = await measureLatency(() => sessions[1].run({ a: q }), opts);
    return { float32: f32, int8: i8, speedup: f32.mean / i8.mean };
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
}
