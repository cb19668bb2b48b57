// Fake quantization in TensorFlow.js, as torch.fake_quantize_per_tensor_affine /
// fake_quantize_per_channel_affine: quantize then dequantize in one
// differentiable op, so training sees the rounding error. The forward pass is
// the same arithmetic as QTensor (x · fround(1/S), round half to even, + Z,
// clamp, then (q - Z) · S); the gradient is the straight-through estimator:
// dy where the unclamped q lies in [quantMin, quantMax], 0 elsewhere.
import * as tf from "@tensorflow/tfjs-core";

function checkRange(quantMin: number, quantMax: number, where: string): void {
  if (!(Number.isInteger(quantMin) && Number.isInteger(quantMax) && quantMin <= quantMax)) throw new Error(`${where}: quantMin/quantMax must be integers with quantMin <= quantMax, got [${quantMin}, ${quantMax}]`);
}

function fake(x: tf.Tensor, inv: tf.Tensor | number, scale: tf.Tensor | number, zeroPoint: tf.Tensor | number, quantMin: number, quantMax: number): tf.Tensor {
  const f = tf.customGrad((input: any, save: any) => {
    const qf = tf.add(tf.round(tf.mul(input as tf.Tensor, inv)), zeroPoint);
    const value = tf.mul(tf.sub(tf.clipByValue(qf, quantMin, quantMax), zeroPoint), scale);
    save([tf.logicalAnd(tf.greaterEqual(qf, quantMin), tf.lessEqual(qf, quantMax))]);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.cast(saved[0], "float32")) };
  });
  return f(x) as tf.Tensor;
}

/**
 * `torch.fake_quantize_per_tensor_affine(x, scale, zero_point, quant_min, quant_max)`:
 * x rounded to the nearest of the grid S (q - Z), q in [quantMin, quantMax],
 * with a straight-through gradient. The building block of quantization-aware training.
 *
 * @example
 * const y = fakeQuantizePerTensorAffine(tf.tensor([0.26, 3]), 0.1, 0, -128, 127); // [0.3, 3]
 */
export function fakeQuantizePerTensorAffine(x: tf.Tensor, scale: number, zeroPoint: number, quantMin: number, quantMax: number): tf.Tensor {
  const where = "fakeQuantizePerTensorAffine";
  if (!(Number.isFinite(scale) && scale > 0)) throw new Error(`${where}: scale must be a finite number > 0, got ${scale}`);
  checkRange(quantMin, quantMax, where);
  if (!(Number.isInteger(zeroPoint) && zeroPoint >= quantMin && zeroPoint <= quantMax)) throw new Error(`${where}: zeroPoint must be an integer in [${quantMin}, ${quantMax}], got ${zeroPoint}`);
  const s = Math.fround(scale);
  return fake(x, Math.fround(1 / s), s, zeroPoint, quantMin, quantMax);
}

/**
 * `torch.fake_quantize_per_channel_affine(x, scales, zero_points, axis, quant_min, quant_max)`:
 * as the per-tensor op, with one scale and zero point per slice along `axis`.
 *
 * @example
 * const w = fakeQuantizePerChannelAffine(weight, scales, zeroPoints, 0, -128, 127);
 */
export function fakeQuantizePerChannelAffine(x: tf.Tensor, scales: ArrayLike<number>, zeroPoints: ArrayLike<number>, axis: number, quantMin: number, quantMax: number): tf.Tensor {
  const where = "fakeQuantizePerChannelAffine";
  checkRange(quantMin, quantMax, where);
  if (!(Number.isInteger(axis) && axis >= 0 && axis < x.rank)) throw new Error(`${where}: axis ${axis} is out of range for shape [${x.shape}]`);
  const channels = x.shape[axis];
  if (scales.length !== channels || zeroPoints.length !== channels) throw new Error(`${where}: need ${channels} scales and zero points along axis ${axis}, got ${scales.length} and ${zeroPoints.length}`);
  const s = Float32Array.from(scales);
  s.forEach((v) => {
    if (!(Number.isFinite(v) && v > 0)) throw new Error(`${where}: scales must be finite numbers > 0, got ${v}`);
  });
  const z = Array.from(zeroPoints);
  z.forEach((v) => {
    if (!(Number.isInteger(v) && v >= quantMin && v <= quantMax)) throw new Error(`${where}: zero points must be integers in [${quantMin}, ${quantMax}], got ${v}`);
  });
  const shape = x.shape.map((d, i) => (i === axis ? d : 1));
  return tf.tidy(() => {
    const inv = tf.tensor(s.map((v) => Math.fround(1 / v)), shape, "float32");
    return fake(x, inv, tf.tensor(s, shape, "float32"), tf.tensor(z, shape, "float32"), quantMin, quantMax);
  });
}
