// Linear (affine) 8-bit quantization, as ONNX Runtime's quant_utils:
// q = clamp(round(x / scale) + zeroPoint, qmin, qmax), x ≈ (q - zeroPoint) · scale.

export type QuantType = "QInt8" | "QUInt8";

/** The integer range of a type (`reduceRange` uses 7 bits, for CPUs whose int8 dot products can overflow). */
export function qRange(type: QuantType, reduceRange = false, symmetric = false): [number, number] {
  if (type === "QUInt8") return reduceRange ? [0, 127] : [0, 255];
  if (reduceRange) return [-64, 64];
  return symmetric ? [-127, 127] : [-128, 127];
}

/** numpy.round: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Scale and zero point mapping [rmin, rmax] (widened to include 0) onto [qmin, qmax]. */
export function computeScaleZeroPoint(rmin: number, rmax: number, qmin: number, qmax: number, symmetric: boolean): { scale: number; zeroPoint: number } {
  if (!(Number.isFinite(rmin) && Number.isFinite(rmax))) throw new Error(`computeScaleZeroPoint: range [${rmin}, ${rmax}] is not finite (NaN or Inf in the weights?)`);
  let lo = Math.min(rmin, 0);
  let hi = Math.max(rmax, 0);
  if (symmetric) {
    const absmax = Math.max(Math.abs(lo), Math.abs(hi));
    lo = -absmax;
    hi = absmax;
  }
  let scale = Math.fround((hi - lo) / (qmax - qmin));
  if (scale < 2 ** -126 || !Number.isFinite(scale)) scale = 1; // an all-zero tensor
  const zeroPoint = symmetric ? roundHalfEven((qmax + qmin) / 2) : roundHalfEven(qmin - lo / scale);
  return { scale, zeroPoint: Math.min(qmax, Math.max(qmin, zeroPoint)) };
}

export interface QuantizedTensor {
  type: QuantType;
  shape: number[];
  values: Int8Array | Uint8Array;
  /** One scale per tensor, or per channel along `axis`. */
  scale: Float32Array;
  zeroPoint: Int8Array | Uint8Array;
  axis?: number;
}

export interface QuantizeOptions {
  type?: QuantType;
  symmetric?: boolean;
  reduceRange?: boolean;
  /** Quantize each slice along this axis with its own scale (per-channel). */
  axis?: number;
}

/**
 * Quantizes a float tensor to 8 bits, per tensor or per channel.
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
    const q = roundHalfEven(data[i] / scale[c]) + zeroPoint[c];
    values[i] = Math.min(qmax, Math.max(qmin, q));
  }
  return { type, shape: [...shape], values, scale, zeroPoint, axis };
}

/** Back to float: (q - zeroPoint) · scale. */
export function dequantizeTensor(t: QuantizedTensor): Float32Array {
  const size = t.values.length;
  const channels = t.scale.length;
  const inner = t.axis === undefined ? size : t.shape.slice(t.axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const c = t.axis === undefined ? 0 : Math.floor(i / inner) % channels;
    out[i] = (t.values[i] - t.zeroPoint[c]) * t.scale[c];
  }
  return out;
}
