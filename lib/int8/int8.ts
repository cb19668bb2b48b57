// Linear (affine) 8-bit quantization, as ONNX Runtime's quant_utils and the
// ONNX QuantizeLinear operator: q = saturate(round(x / scale) + zeroPoint),
// x ≈ (q - zeroPoint) · scale, with float32 division and round-half-to-even.
// PyTorch's quantized tensors (qtensor.ts) differ in one detail: they multiply
// by the float32 inverse of the scale.

/** ORT's 8-bit types: signed (int8) or unsigned (uint8). */
export type QuantType = "QInt8" | "QUInt8";

/**
 * The integer range of a type, as ORT's `get_qmin_qmax_for_qType`: `reduceRange`
 * uses 7 bits (for CPUs whose int8 dot products can overflow); symmetric ranges
 * drop one end so that zero sits in the middle ([-127, 127], [0, 254]).
 *
 * @example qRange("QInt8", false, true); // [-127, 127]
 */
export function qRange(type: QuantType, reduceRange = false, symmetric = false): [number, number] {
  if (type === "QUInt8") return reduceRange ? [0, 127] : symmetric ? [0, 254] : [0, 255];
  if (reduceRange) return [-64, 64];
  return symmetric ? [-127, 127] : [-128, 127];
}

/**
 * numpy.round (and C's nearbyint): halves go to the even neighbour.
 *
 * @example [0.5, 1.5, 2.5].map(roundHalfEven); // [0, 2, 2]
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Scale and zero point mapping [rmin, rmax] (widened to include 0) onto
 * [qmin, qmax], as ORT's `compute_scale_zp`: the range is taken in float32,
 * the zero point is rounded from the float64 scale, and the scale is stored
 * as float32. An all-zero range gives scale 1 and zero point 0.
 *
 * @example computeScaleZeroPoint(-1, 2, 0, 255, false); // { scale: 3 / 255, zeroPoint: 85 }
 */
export function computeScaleZeroPoint(rmin: number, rmax: number, qmin: number, qmax: number, symmetric: boolean): { scale: number; zeroPoint: number } {
  if (!(Number.isFinite(rmin) && Number.isFinite(rmax))) throw new Error(`computeScaleZeroPoint: range [${rmin}, ${rmax}] is not finite (NaN or Inf in the weights?)`);
  if (qmin > 0 || qmax < 0 || qmin >= qmax) throw new Error(`computeScaleZeroPoint: need qmin <= 0 <= qmax and qmin < qmax, got [${qmin}, ${qmax}]`);
  let lo = Math.fround(Math.min(rmin, 0));
  let hi = Math.fround(Math.max(rmax, 0));
  if (symmetric) {
    const absmax = Math.max(Math.abs(lo), Math.abs(hi));
    lo = -absmax;
    hi = absmax;
  }
  const scale = Math.fround(hi - lo) / (qmax - qmin); // float64, as numpy
  if (scale < 2 ** -126) return { scale: 1, zeroPoint: 0 }; // an all-zero tensor
  const zeroPoint = symmetric ? roundHalfEven((qmax + qmin) / 2) : roundHalfEven(qmin - lo / scale);
  return { scale: Math.fround(scale), zeroPoint: Math.min(qmax, Math.max(qmin, zeroPoint)) };
}

/**
 * QuantizeLinear on one value: saturate(round(x / scale) + zeroPoint), the division in float32.
 *
 * @example quantizeLinearValue(0.5, 1 / 64, 0, -127, 127); // 32
 */
export function quantizeLinearValue(x: number, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  const q = roundHalfEven(Math.fround(x / scale)) + zeroPoint;
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

/** An 8-bit tensor with its scale(s) and zero point(s), in ONNX layout. */
export interface QuantizedTensor {
  type: QuantType;
  shape: number[];
  values: Int8Array | Uint8Array;
  /** One scale per tensor, or per channel along `axis`. */
  scale: Float32Array;
  zeroPoint: Int8Array | Uint8Array;
  axis?: number;
}

/** Options of `quantizeTensor` (ORT's quantize_data). */
export interface QuantizeOptions {
  type?: QuantType;
  symmetric?: boolean;
  reduceRange?: boolean;
  /** Quantize each slice along this axis with its own scale (per-channel). */
  axis?: number;
}

/**
 * Quantizes a float tensor to 8 bits, per tensor or per channel. NaN or
 * ±Infinity anywhere is an error naming its index.
 *
 * @example quantizeTensor(w, [256, 1024], { type: "QInt8", symmetric: true }).scale; // [max|w| / 127]
 */
export function quantizeTensor(data: Float32Array, shape: number[], options: QuantizeOptions = {}): QuantizedTensor {
  const type = options.type ?? "QInt8";
  const symmetric = options.symmetric ?? type === "QInt8";
  const [qmin, qmax] = qRange(type, options.reduceRange ?? false, symmetric);
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new Error(`quantizeTensor: ${data.length} values for shape [${shape}]`);
  const axis = options.axis;
  if (axis !== undefined && (axis < 0 || axis >= shape.length)) throw new Error(`quantizeTensor: axis ${axis} is out of range for shape [${shape}]`);
  for (let i = 0; i < size; i++) if (!Number.isFinite(data[i])) throw new Error(`quantizeTensor: the tensor [${shape}] holds ${data[i]} at index ${i}; 8-bit quantization needs finite values (its scale would be ${Number.isNaN(data[i]) ? "NaN" : "infinite"})`);
  const channels = axis === undefined ? 1 : shape[axis];
  const inner = axis === undefined ? size : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const lo = new Array(channels).fill(Infinity);
  const hi = new Array(channels).fill(-Infinity);
  for (let i = 0; i < size; i++) {
    const c = channelOf(i);
    if (data[i] < lo[c]) lo[c] = data[i];
    if (data[i] > hi[c]) hi[c] = data[i];
  }
  const scale = new Float32Array(channels);
  const zeroPoint = type === "QInt8" ? new Int8Array(channels) : new Uint8Array(channels);
  for (let c = 0; c < channels; c++) {
    const p = computeScaleZeroPoint(lo[c], hi[c], qmin, qmax, symmetric);
    scale[c] = p.scale;
    zeroPoint[c] = p.zeroPoint;
  }
  const values = type === "QInt8" ? new Int8Array(size) : new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const c = channelOf(i);
    values[i] = quantizeLinearValue(data[i], scale[c], zeroPoint[c], qmin, qmax);
  }
  return { type, shape: [...shape], values, scale, zeroPoint, axis };
}

/**
 * Back to float, as DequantizeLinear: (q - zeroPoint) · scale.
 *
 * @example dequantizeTensor(quantizeTensor(w, [2, 3])); // ≈ w, within scale / 2
 */
export function dequantizeTensor(t: QuantizedTensor): Float32Array {
  const size = t.values.length;
  const channels = t.scale.length;
  const inner = t.axis === undefined ? size : t.shape.slice(t.axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const c = t.axis === undefined ? 0 : Math.floor(i / inner) % channels;
    out[i] = Math.fround((t.values[i] - t.zeroPoint[c]) * t.scale[c]);
  }
  return out;
}
