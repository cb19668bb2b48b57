// Quantized tensors after PyTorch's (torch.quantize_per_tensor /
// quantize_per_channel): integers q with a scale S and zero point Z such that
// the real value is f = S (q - Z), the chapter's fixed-point formula.
// Arithmetic follows torch 1.13 on CPU exactly (tested against it):
//   quantize:   q = clamp(Z + nearbyint(x · fround(1 / S)), qmin, qmax)   (float32 product)
//   dequantize: f = (float(q) - Z) · S                                   (float32)
import * as tf from "@tensorflow/tfjs-core";
import { roundHalfEven } from "./int8";

/** PyTorch's quantized dtypes: `torch.qint8`, `torch.quint8`, `torch.qint32`. */
export type QDType = "qint8" | "quint8" | "qint32";

/** PyTorch's quantization schemes (`torch.per_tensor_affine`, …). */
export type QScheme = "per_tensor_affine" | "per_tensor_symmetric" | "per_channel_affine" | "per_channel_symmetric";

type IntArray = Int8Array | Uint8Array | Int32Array;

const DTYPES: Readonly<Record<QDType, { min: number; max: number; make: (n: number) => IntArray; bytes: number }>> = Object.freeze({
  qint8: { min: -128, max: 127, make: (n: number) => new Int8Array(n), bytes: 1 },
  quint8: { min: 0, max: 255, make: (n: number) => new Uint8Array(n), bytes: 1 },
  qint32: { min: -(2 ** 31), max: 2 ** 31 - 1, make: (n: number) => new Int32Array(n), bytes: 4 },
});

/**
 * The integer range of a quantized dtype, as `torch.iinfo` of its underlying type.
 *
 * @example qdtypeRange("quint8"); // [0, 255]
 */
export function qdtypeRange(dtype: QDType): [number, number] {
  const d = DTYPES[dtype];
  if (!d) throw new Error(`Unknown quantized dtype "${dtype}" (use ${Object.keys(DTYPES).map((k) => `"${k}"`).join(", ")})`);
  return [d.min, d.max];
}

/**
 * One value quantized as torch does on CPU: the float32 product with the
 * float32 inverse scale, rounded half to even, then the zero point added and
 * the result clamped. (ONNX's QuantizeLinear divides instead; see int8.ts.)
 *
 * @example quantizeValue(0.25, 0.1, 0, -128, 127); // 2 (0.25 · 10 = 2.5 → 2)
 */
export function quantizeValue(x: number, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  const inv = Math.fround(1 / Math.fround(scale));
  const q = zeroPoint + roundHalfEven(Math.fround(Math.fround(x) * inv));
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

/**
 * f = S (q - Z) in float32, as torch's `dequantize`.
 *
 * @example dequantizeValue(-3, 0.5, 1); // -2
 */
export function dequantizeValue(q: number, scale: number, zeroPoint: number): number {
  return Math.fround(Math.fround(Math.fround(q) - zeroPoint) * Math.fround(scale));
}

/** Input accepted where PyTorch takes a float tensor. */
export type FloatInput = tf.Tensor | Float32Array | readonly number[];

function readInput(x: FloatInput, shape: readonly number[] | undefined, where: string): { data: Float32Array; shape: number[] } {
  if (x instanceof tf.Tensor) {
    if (x.dtype !== "float32") throw new Error(`${where}: expected a float32 tensor, got ${x.dtype}`);
    if (shape && (shape.length !== x.rank || shape.some((d, i) => d !== x.shape[i]))) throw new Error(`${where}: shape [${shape}] does not match the tensor's [${x.shape}]`);
    return { data: x.dataSync() as Float32Array, shape: [...x.shape] };
  }
  if (!(x instanceof Float32Array) && !Array.isArray(x)) throw new Error(`${where}: expected a tf.Tensor, Float32Array or number[], got ${x === null ? "null" : typeof x}`);
  const data = x instanceof Float32Array ? x : Float32Array.from(x);
  const s = shape ? [...shape] : [data.length];
  const size = s.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new Error(`${where}: ${data.length} values do not fill shape [${s}]`);
  return { data, shape: s };
}

/** NaN has no integer value: an error naming its index. (±Infinity saturates to the dtype's range, as torch's.) */
function checkNoNaN(data: Float32Array, where: string): void {
  for (let i = 0; i < data.length; i++) if (Number.isNaN(data[i])) throw new Error(`${where}: the input holds NaN at index ${i}; it has no quantized value`);
}

function checkDtype(dtype: string, where: string): asserts dtype is QDType {
  if (!(dtype in DTYPES)) throw new Error(`${where}: dtype "${dtype}" is not supported (use "qint8", "quint8" or "qint32"; float16 is not a quantized dtype)`);
}

function checkScale(scale: number, where: string): void {
  if (!(typeof scale === "number" && Number.isFinite(scale) && scale > 0)) throw new Error(`${where}: scale must be a finite number > 0, got ${scale}`);
}

function checkZeroPoint(zp: number, dtype: QDType, where: string): void {
  const [lo, hi] = qdtypeRange(dtype);
  if (!(Number.isInteger(zp) && zp >= lo && zp <= hi)) throw new Error(`${where}: zero point must be an integer in [${lo}, ${hi}] for ${dtype}, got ${zp}`);
}

interface PerTensorParams {
  kind: "tensor";
  scale: number;
  zeroPoint: number;
}

interface PerChannelParams {
  kind: "channel";
  scales: Float64Array;
  zeroPoints: number[];
  axis: number;
}

/**
 * A quantized tensor, as PyTorch's: integer storage plus the scale and zero
 * point (per tensor, or per channel along an axis). Made by
 * `quantizePerTensor` / `quantizePerChannel`.
 *
 * @example
 * const q = quantizePerTensor(Float32Array.of(-1, 0, 0.5), 0.1, 0, "qint8");
 * q.intRepr();    // Int8Array [-10, 0, 5]
 * q.dequantize(); // Float32Array [-1, 0, 0.5]
 * q.qScale();     // 0.1
 */
export class QTensor {
  /** @internal use quantizePerTensor / quantizePerChannel */
  constructor(
    private readonly values: IntArray,
    readonly shape: readonly number[],
    readonly dtype: QDType,
    private readonly params: PerTensorParams | PerChannelParams,
    private readonly scheme: QScheme,
  ) {}

  /** Number of elements. */
  get size(): number {
    return this.values.length;
  }

  /** The integers q (a copy), as `int_repr()`. */
  intRepr(): IntArray {
    return this.values.slice();
  }

  /** The real values S (q - Z) in float32, as `dequantize()`. */
  dequantize(): Float32Array {
    const out = new Float32Array(this.values.length);
    const p = this.params;
    if (p.kind === "tensor") {
      for (let i = 0; i < out.length; i++) out[i] = dequantizeValue(this.values[i], p.scale, p.zeroPoint);
      return out;
    }
    const inner = this.shape.slice(p.axis + 1).reduce((a, b) => a * b, 1);
    const channels = this.shape[p.axis];
    for (let i = 0; i < out.length; i++) {
      const c = Math.floor(i / inner) % channels;
      out[i] = dequantizeValue(this.values[i], p.scales[c], p.zeroPoints[c]);
    }
    return out;
  }

  /** The dequantized values as a float32 tf.Tensor of the same shape (the caller disposes it). */
  toTensor(): tf.Tensor {
    return tf.tensor(this.dequantize(), [...this.shape], "float32");
  }

  /** The quantization scheme, as `qscheme()`. */
  qScheme(): QScheme {
    return this.scheme;
  }

  private perTensor(method: string): PerTensorParams {
    if (this.params.kind !== "tensor") throw new Error(`QTensor.${method}: the tensor is quantized per channel (${this.scheme}); use qPerChannelScales() / qPerChannelZeroPoints()`);
    return this.params;
  }

  private perChannel(method: string): PerChannelParams {
    if (this.params.kind !== "channel") throw new Error(`QTensor.${method}: the tensor is quantized per tensor (${this.scheme}); use qScale() / qZeroPoint()`);
    return this.params;
  }

  /** The scale S, as `q_scale()` (per-tensor schemes only). */
  qScale(): number {
    return this.perTensor("qScale").scale;
  }

  /** The zero point Z, as `q_zero_point()` (per-tensor schemes only). */
  qZeroPoint(): number {
    return this.perTensor("qZeroPoint").zeroPoint;
  }

  /** One scale per channel, as `q_per_channel_scales()` (float64, as torch keeps them). */
  qPerChannelScales(): Float64Array {
    return this.perChannel("qPerChannelScales").scales.slice();
  }

  /** One zero point per channel, as `q_per_channel_zero_points()`. */
  qPerChannelZeroPoints(): number[] {
    return [...this.perChannel("qPerChannelZeroPoints").zeroPoints];
  }

  /** The channel axis, as `q_per_channel_axis()`. */
  qPerChannelAxis(): number {
    return this.perChannel("qPerChannelAxis").axis;
  }

  /** Bytes needed to store the integers (1 per element for 8-bit dtypes, 4 for qint32). */
  get nbytes(): number {
    return this.values.length * DTYPES[this.dtype].bytes;
  }
}

/** Options of `quantizePerTensor`. */
export interface QuantizePerTensorOptions {
  /** Shape of a Float32Array / number[] input (default: 1-D). */
  shape?: readonly number[];
  /**
   * The scheme recorded on the result. torch's `quantize_per_tensor` always
   * reports "per_tensor_affine"; pass "per_tensor_symmetric" when the scale
   * and zero point came from a symmetric observer, to keep that fact.
   */
  qscheme?: "per_tensor_affine" | "per_tensor_symmetric";
}

/**
 * `torch.quantize_per_tensor(x, scale, zero_point, dtype)`: one scale and zero
 * point for the whole tensor. Takes a tfjs tensor, a Float32Array or numbers.
 *
 * @example
 * const q = quantizePerTensor(tf.tensor([0.3, -1.2]), 0.01, 128, "quint8");
 * q.intRepr(); // Uint8Array [158, 8]
 */
export function quantizePerTensor(x: FloatInput, scale: number, zeroPoint: number, dtype: QDType, options: QuantizePerTensorOptions = {}): QTensor {
  const where = "quantizePerTensor";
  checkDtype(dtype, where);
  checkScale(scale, where);
  checkZeroPoint(zeroPoint, dtype, where);
  const qscheme = options.qscheme ?? "per_tensor_affine";
  if (qscheme !== "per_tensor_affine" && qscheme !== "per_tensor_symmetric") throw new Error(`${where}: qscheme must be "per_tensor_affine" or "per_tensor_symmetric", got "${qscheme}"`);
  const { data, shape } = readInput(x, options.shape, where);
  checkNoNaN(data, where);
  const [qmin, qmax] = qdtypeRange(dtype);
  const values = DTYPES[dtype].make(data.length);
  for (let i = 0; i < data.length; i++) values[i] = quantizeValue(data[i], scale, zeroPoint, qmin, qmax);
  return new QTensor(values, shape, dtype, { kind: "tensor", scale, zeroPoint }, qscheme);
}

/** Options of `quantizePerChannel`. */
export interface QuantizePerChannelOptions {
  /** Shape of a Float32Array / number[] input (required for those: per-channel needs an axis to slice). */
  shape?: readonly number[];
  /** The scheme recorded on the result (default "per_channel_affine", as torch). */
  qscheme?: "per_channel_affine" | "per_channel_symmetric";
}

/**
 * `torch.quantize_per_channel(x, scales, zero_points, axis, dtype)`: one scale
 * and zero point per slice along `axis` (e.g. per output row of a Linear weight).
 *
 * @example
 * const w = tf.tensor([[1, -2], [0.5, 0.25]]);
 * const q = quantizePerChannel(w, [2 / 127, 0.5 / 127], [0, 0], 0, "qint8");
 * q.intRepr(); // Int8Array [64, -127, 127, 64]
 */
export function quantizePerChannel(x: FloatInput, scales: ArrayLike<number>, zeroPoints: ArrayLike<number>, axis: number, dtype: QDType, options: QuantizePerChannelOptions = {}): QTensor {
  const where = "quantizePerChannel";
  checkDtype(dtype, where);
  if (!(x instanceof tf.Tensor) && !options.shape) throw new Error(`${where}: pass options.shape with a Float32Array / number[] input (the channel axis needs it)`);
  const { data, shape } = readInput(x, options.shape, where);
  checkNoNaN(data, where);
  if (!(Number.isInteger(axis) && axis >= 0 && axis < shape.length)) throw new Error(`${where}: axis ${axis} is out of range for shape [${shape}]`);
  const channels = shape[axis];
  if (scales.length !== channels || zeroPoints.length !== channels) throw new Error(`${where}: need one scale and one zero point per channel along axis ${axis} (${channels}), got ${scales.length} scales and ${zeroPoints.length} zero points`);
  const s = Float64Array.from(scales);
  const z = Array.from(zeroPoints);
  s.forEach((v) => checkScale(v, where));
  z.forEach((v) => checkZeroPoint(v, dtype, where));
  const qscheme = options.qscheme ?? "per_channel_affine";
  if (qscheme !== "per_channel_affine" && qscheme !== "per_channel_symmetric") throw new Error(`${where}: qscheme must be "per_channel_affine" or "per_channel_symmetric", got "${qscheme}"`);
  const [qmin, qmax] = qdtypeRange(dtype);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const values = DTYPES[dtype].make(data.length);
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor(i / inner) % channels;
    values[i] = quantizeValue(data[i], s[c], z[c], qmin, qmax);
  }
  return new QTensor(values, shape, dtype, { kind: "channel", scales: s, zeroPoints: z, axis }, qscheme);
}

/**
 * A QTensor from stored integers and parameters (e.g. read back from a
 * safetensors file); values are checked against the dtype's range.
 *
 * @example
 * const q = qtensorFromIntRepr(Int8Array.of(5, -3), [2], "qint8", { scale: 0.1, zeroPoint: 0 });
 * q.dequantize(); // Float32Array [0.5, -0.3]
 */
export function qtensorFromIntRepr(
  values: IntArray,
  shape: readonly number[],
  dtype: QDType,
  params: { scale: number; zeroPoint: number } | { scales: ArrayLike<number>; zeroPoints: ArrayLike<number>; axis: number },
  qscheme?: QScheme,
): QTensor {
  const where = "qtensorFromIntRepr";
  checkDtype(dtype, where);
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== values.length) throw new Error(`${where}: ${values.length} values do not fill shape [${shape}]`);
  const expected = DTYPES[dtype].make(0).constructor;
  if (values.constructor !== expected) throw new Error(`${where}: ${dtype} needs a ${expected.name}, got a ${values.constructor.name}`);
  if ("scale" in params) {
    checkScale(params.scale, where);
    checkZeroPoint(params.zeroPoint, dtype, where);
    return new QTensor(values.slice(), [...shape], dtype, { kind: "tensor", scale: params.scale, zeroPoint: params.zeroPoint }, qscheme ?? "per_tensor_affine");
  }
  const channels = shape[params.axis];
  if (channels === undefined || params.scales.length !== channels || params.zeroPoints.length !== channels) throw new Error(`${where}: need one scale and zero point per channel along axis ${params.axis} of shape [${shape}]`);
  Array.from(params.scales).forEach((v) => checkScale(v, where));
  Array.from(params.zeroPoints).forEach((v) => checkZeroPoint(v, dtype, where));
  return new QTensor(values.slice(), [...shape], dtype, { kind: "channel", scales: Float64Array.from(params.scales), zeroPoints: Array.from(params.zeroPoints), axis: params.axis }, qscheme ?? "per_channel_affine");
}
