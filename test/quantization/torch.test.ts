// PyTorch-style quantization primitives checked against torch 1.13's own
// values (test/fixtures/make_quantization_reference.py writes them).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { ready, FIXTURES } from "../helpers/setup";
import { readJson } from "../../lib/utils/fs";
import {
  QDType,
  QScheme,
  quantizePerTensor,
  quantizePerChannel,
  qtensorFromIntRepr,
  qdtypeRange,
} from "../../lib/int8/qtensor";
import { MinMaxObserver, PerChannelMinMaxObserver, calculateQparams } from "../../lib/int8/observer";
import { fakeQuantizePerChannelAffine, fakeQuantizePerTensorAffine } from "../../lib/int8/fakeQuantize";

interface TorchRef {
  per_tensor_input: number[];
  per_tensor: { scale: number; zero_point: number; dtype: QDType; int_repr: number[]; dequantize: number[]; q_scale: number; q_zero_point: number; qscheme: QScheme }[];
  per_channel_input: number[];
  per_channel_shape: number[];
  per_channel: { axis: number; dtype: QDType; qscheme: QScheme; scales: number[]; zero_points: number[]; int_repr: number[]; dequantize: number[]; q_per_channel_scales: number[]; q_per_channel_zero_points: number[]; q_per_channel_axis: number; tensor_qscheme: QScheme }[];
  observer_batches: number[][];
  observers: { options: { dtype: QDType; qscheme: "per_tensor_affine" | "per_tensor_symmetric"; reduce_range?: boolean; quant_min?: number; quant_max?: number }; min_val: number; max_val: number; scale: number; zero_point: number; quant_min: number; quant_max: number }[];
  per_channel_observers: { options: { ch_axis: number; dtype: QDType; qscheme: "per_channel_affine" | "per_channel_symmetric" }; scales: number[]; zero_points: number[] }[];
  fake_quantize: { x: number[]; scale: number; zero_point: number; quant_min: number; quant_max: number; y: number[]; grad: number[]; w: number[]; w_shape: number[]; scales: number[]; zero_points: number[]; axis: number; w_quant_min: number; w_quant_max: number; wy: number[]; wgrad: number[] };
}

export const REF = readJson<{ torch: TorchRef }>(path.join(FIXTURES, "quantization_reference.json"), "quantization fixture");
const T = REF.torch;

test("quantizePerTensor equals torch.quantize_per_tensor (int_repr, dequantize, q_scale, q_zero_point, qscheme) for qint8, quint8, qint32", async () => {
  await ready;
  const x = Float32Array.from(T.per_tensor_input);
  for (const c of T.per_tensor) {
    const q = quantizePerTensor(x, c.scale, c.zero_point, c.dtype);
    assert.deepEqual([...q.intRepr()], c.int_repr, `${c.dtype} scale ${c.scale} zp ${c.zero_point}`);
    assert.deepEqual([...q.dequantize()], c.dequantize, `${c.dtype} dequantize`);
    assert.equal(q.qScale(), c.q_scale);
    assert.equal(q.qZeroPoint(), c.q_zero_point);
    assert.equal(q.qScheme(), c.qscheme);
    assert.equal(q.dtype, c.dtype);
    // The chapter's f = S (q - Z), from torch's integers, in float32.
    c.int_repr.forEach((v, i) => assert.equal(c.dequantize[i], Math.fround(Math.fround(c.scale) * Math.fround(v - c.zero_point)), `f = S (q - Z) at ${i}`));
  }
  // A tfjs tensor gives the same result as its Float32Array.
  const t = tf.tensor(x, [x.length]);
  assert.deepEqual([...quantizePerTensor(t, 0.1, 0, "qint8").intRepr()], T.per_tensor[0].int_repr);
  t.dispose();
});

test("quantizePerChannel equals torch.quantize_per_channel along axis 0 and 1", async () => {
  await ready;
  const w = tf.tensor(T.per_channel_input, T.per_channel_shape);
  for (const c of T.per_channel) {
    const q = quantizePerChannel(w, c.scales, c.zero_points, c.axis, c.dtype);
    assert.deepEqual([...q.intRepr()], c.int_repr, `axis ${c.axis}`);
    assert.deepEqual([...q.dequantize()], c.dequantize, `axis ${c.axis} dequantize`);
    assert.deepEqual([...q.qPerChannelScales()].map(Math.fround), c.q_per_channel_scales.map(Math.fround));
    assert.deepEqual(q.qPerChannelZeroPoints(), c.q_per_channel_zero_points);
    assert.equal(q.qPerChannelAxis(), c.q_per_channel_axis);
    assert.equal(q.qScheme(), c.tensor_qscheme);
    assert.throws(() => q.qScale(), /quantized per channel \(per_channel_affine\); use qPerChannelScales/);
    // Same from a Float32Array with its shape.
    const q2 = quantizePerChannel(Float32Array.from(T.per_channel_input), c.scales, c.zero_points, c.axis, c.dtype, { shape: T.per_channel_shape });
    assert.deepEqual([...q2.intRepr()], c.int_repr);
  }
  w.dispose();
});

test("observers equal torch's MinMaxObserver / PerChannelMinMaxObserver (symmetric, affine, reduce_range, custom ranges)", async () => {
  await ready;
  for (const c of T.observers) {
    const o = c.options;
    const obs = new MinMaxObserver({ dtype: o.dtype, qscheme: o.qscheme, reduceRange: o.reduce_range, quantMin: o.quant_min, quantMax: o.quant_max });
    for (const b of T.observer_batches) obs.forward(Float32Array.from(b));
    assert.equal(obs.minVal, c.min_val);
    assert.equal(obs.maxVal, c.max_val);
    assert.deepEqual([obs.quantMin, obs.quantMax], [c.quant_min, c.quant_max], JSON.stringify(o));
    assert.deepEqual(obs.calculateQparams(), { scale: c.scale, zeroPoint: c.zero_point }, JSON.stringify(o));
  }
  const w = Float32Array.from(T.per_channel_input);
  for (const c of T.per_channel_observers) {
    const obs = new PerChannelMinMaxObserver({ chAxis: c.options.ch_axis, dtype: c.options.dtype, qscheme: c.options.qscheme });
    obs.forward(w, T.per_channel_shape);
    const p = obs.calculateQparams();
    assert.deepEqual([...p.scales], c.scales, JSON.stringify(c.options));
    assert.deepEqual([...p.zeroPoints], c.zero_points);
    assert.equal(obs.quantize(w, T.per_channel_shape).qScheme(), c.options.qscheme);
  }
  // A symmetric observer's quantized tensor records its scheme.
  const sym = new MinMaxObserver({ dtype: "qint8", qscheme: "per_tensor_symmetric" });
  sym.forward(w);
  const q = sym.quantize(w);
  assert.equal(q.qScheme(), "per_tensor_symmetric");
  assert.equal(q.qZeroPoint(), 0);
  // Never observed: torch's identity parameters.
  assert.deepEqual(new MinMaxObserver().calculateQparams(), { scale: 1, zeroPoint: 0 });
});

test("quantize → dequantize: error ≤ scale / 2 inside the range, clamping at qmin/qmax, 0.0 exactly representable", async () => {
  await ready;
  const x = Float32Array.from(T.per_tensor_input);
  for (const dtype of ["qint8", "quint8"] as const) {
    for (const qscheme of ["per_tensor_affine", "per_tensor_symmetric"] as const) {
      const obs = new MinMaxObserver({ dtype, qscheme });
      const inRange = x.filter((v) => Math.abs(v) < 100);
      obs.forward(inRange);
      const { scale, zeroPoint } = obs.calculateQparams();
      const q = quantizePerTensor(inRange, scale, zeroPoint, dtype);
      const back = q.dequantize();
      const [qmin, qmax] = qdtypeRange(dtype);
      let worst = 0;
      inRange.forEach((v, i) => {
        const lo = scale * (qmin - zeroPoint);
        const hi = scale * (qmax - zeroPoint);
        if (v >= lo && v <= hi) worst = Math.max(worst, Math.abs(v - back[i]));
      });
      assert.ok(worst <= (scale / 2) * (1 + 1e-4), `${dtype} ${qscheme}: ${worst} > ${scale / 2}`);
      // 0.0 maps to the zero point and back to exactly 0.
      const zero = quantizePerTensor([0], scale, zeroPoint, dtype);
      assert.equal(zero.intRepr()[0], zeroPoint);
      assert.equal(zero.dequantize()[0], 0);
    }
  }
  // Clamping: values beyond the grid saturate at qmin / qmax.
  const big = quantizePerTensor([1e6, -1e6, 12.8, -12.9], 0.1, 0, "qint8");
  assert.deepEqual([...big.intRepr()], [127, -128, 127, -128]);
  assert.deepEqual([...quantizePerTensor([1e6, -1e6], 0.1, 5, "quint8").intRepr()], [255, 0]);
  assert.deepEqual([...quantizePerTensor([3e9, -3e9], 1, 0, "qint32").intRepr()], [2 ** 31 - 1, -(2 ** 31)]);
  // Per-channel scales: one per slice; each slice keeps its own error bound.
  const w = tf.tensor(T.per_channel_input, T.per_channel_shape);
  const pc = new PerChannelMinMaxObserver({ dtype: "qint8", qscheme: "per_channel_symmetric", chAxis: 1 });
  pc.forward(w);
  const { scales } = pc.calculateQparams();
  assert.equal(scales.length, T.per_channel_shape[1]);
  const qw = pc.quantize(w);
  const data = w.dataSync() as Float32Array;
  const back = qw.dequantize();
  for (let i = 0; i < data.length; i++) assert.ok(Math.abs(data[i] - back[i]) <= (scales[i % scales.length] / 2) * (1 + 1e-4), `per-channel error at ${i}`);
  // Storage: one byte per element for 8-bit dtypes (4x smaller than float32), four for qint32.
  assert.equal(qw.nbytes * 4, data.byteLength);
  assert.equal(quantizePerTensor(data, 0.1, 0, "qint32").nbytes, data.byteLength);
  w.dispose();
});

test("calculateQparams is the chapter's f = S (q - Z) mapping of [min, max] onto the integer range", () => {
  const p = calculateQparams(-1, 2, { dtype: "quint8", qscheme: "per_tensor_affine", quantMin: 0, quantMax: 255 });
  assert.equal(p.scale, Math.fround(3 / 255));
  assert.equal(p.zeroPoint, 85);
  // f(qmin) ≈ min and f(qmax) ≈ max.
  assert.ok(Math.abs(p.scale * (0 - p.zeroPoint) + 1) < p.scale);
  assert.ok(Math.abs(p.scale * (255 - p.zeroPoint) - 2) < p.scale);
  // A positive-only range still includes 0 (zero point at qmin).
  assert.equal(calculateQparams(0.5, 2, { dtype: "quint8", qscheme: "per_tensor_affine", quantMin: 0, quantMax: 255 }).zeroPoint, 0);
  assert.throws(() => calculateQparams(3, 1, { dtype: "qint8", qscheme: "per_tensor_affine", quantMin: -128, quantMax: 127 }), /min 3 is greater than max 1/);
});

test("fakeQuantize equals torch.fake_quantize_per_{tensor,channel}_affine (values and straight-through gradient) and QTensor's quantize → dequantize", async () => {
  await ready;
  const f = T.fake_quantize;
  const x = tf.tensor(f.x);
  const y = fakeQuantizePerTensorAffine(x, f.scale, f.zero_point, f.quant_min, f.quant_max);
  assert.deepEqual([...(y.dataSync() as Float32Array)], f.y);
  const g = tf.grad((t: tf.Tensor) => tf.sum(fakeQuantizePerTensorAffine(t, f.scale, f.zero_point, f.quant_min, f.quant_max)))(x);
  assert.deepEqual([...(g.dataSync() as Float32Array)], f.grad);
  // The same maths as a QTensor round trip.
  assert.deepEqual([...(y.dataSync() as Float32Array)], [...quantizePerTensor(x, f.scale, f.zero_point, "qint8").dequantize()]);
  const w = tf.tensor(f.w, f.w_shape);
  const wy = fakeQuantizePerChannelAffine(w, f.scales, f.zero_points, f.axis, f.w_quant_min, f.w_quant_max);
  assert.deepEqual([...(wy.dataSync() as Float32Array)], f.wy);
  const wg = tf.grad((t: tf.Tensor) => tf.sum(fakeQuantizePerChannelAffine(t, f.scales, f.zero_points, f.axis, f.w_quant_min, f.w_quant_max)))(w);
  assert.deepEqual([...(wg.dataSync() as Float32Array)], f.wgrad);
  tf.dispose([x, y, g, w, wy, wg]);
  assert.throws(() => fakeQuantizePerTensorAffine(tf.zeros([1]), 0, 0, -128, 127), /scale must be a finite number > 0, got 0/);
});

test("quantized tensors reject bad input with clear errors", () => {
  assert.throws(() => quantizePerTensor([1], 0.1, 0, "float16" as QDType), /dtype "float16" is not supported \(use "qint8", "quint8" or "qint32"/);
  assert.throws(() => quantizePerTensor([1], -0.1, 0, "qint8"), /scale must be a finite number > 0, got -0.1/);
  assert.throws(() => quantizePerTensor([1], 0.1, 300, "quint8"), /zero point must be an integer in \[0, 255\] for quint8, got 300/);
  assert.throws(() => quantizePerTensor([1, 2, 3], 0.1, 0, "qint8", { shape: [2, 2] }), /3 values do not fill shape \[2,2\]/);
  assert.throws(() => quantizePerChannel([1, 2], [0.1], [0], 0, "qint8"), /pass options.shape/);
  assert.throws(() => quantizePerChannel([1, 2, 3, 4], [0.1], [0], 0, "qint8", { shape: [2, 2] }), /one scale and one zero point per channel along axis 0 \(2\), got 1 scales/);
  assert.throws(() => quantizePerChannel([1, 2, 3, 4], [0.1, 0.1], [0, 0], 2, "qint8", { shape: [2, 2] }), /axis 2 is out of range for shape \[2,2\]/);
  const q = quantizePerTensor([1], 0.1, 0, "qint8");
  assert.throws(() => q.qPerChannelAxis(), /quantized per tensor \(per_tensor_affine\); use qScale/);
  assert.throws(() => new MinMaxObserver({ qscheme: "per_channel_affine" as "per_tensor_affine" }), /qscheme "per_channel_affine" is not supported here/);
  assert.throws(() => new MinMaxObserver({ dtype: "qint8", quantMin: -200, quantMax: 100 }), /at most 256 values/);
  assert.throws(() => new MinMaxObserver({ reduce_range: true } as object), /unknown option "reduce_range"/);
  assert.throws(() => new MinMaxObserver().forward(Float32Array.of(1, NaN)), /NaN at index 1/);
  assert.throws(() => qtensorFromIntRepr(Uint8Array.of(1), [1], "qint8", { scale: 1, zeroPoint: 0 }), /qint8 needs a Int8Array, got a Uint8Array/);
});
