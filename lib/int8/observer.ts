// Observers after torch.ao.quantization.observer: they watch the tensors that
// flow past (forward), keep a running min and max, and turn them into a scale
// and zero point (calculateQparams). Weight quantization (quantizeDynamicModel)
// and, later, quantization-aware training share this one piece of maths.
import * as tf from "@tensorflow/tfjs-core";
import { roundHalfEven } from "./int8";
import { QDType, QScheme, QTensor, quantizePerChannel, quantizePerTensor } from "./qtensor";

/**
 * float32 machine epsilon, torch's default lower bound for a scale.
 *
 * @example new MinMaxObserver({ eps: FLOAT32_EPS });
 */
export const FLOAT32_EPS = 2 ** -23;

/** Options shared by the observers (torch's observer arguments). */
export interface ObserverOptions {
  /** Default "quint8", as torch. */
  dtype?: QDType;
  /** Use one bit less (torch: qint8 → [-64, 63], quint8 → [0, 127]). Default false. */
  reduceRange?: boolean;
  /** A custom integer range (both or neither); must contain 0. */
  quantMin?: number;
  quantMax?: number;
  /** Smallest scale allowed. Default float32 epsilon. */
  eps?: number;
}

/** What `calculateQparams` needs to know of the observer. */
export interface QparamsOptions {
  dtype: QDType;
  qscheme: QScheme;
  quantMin: number;
  quantMax: number;
  /** Whether quantMin/quantMax were given by the user (changes the quint8 symmetric zero point). */
  customRange?: boolean;
  eps?: number;
}

/**
 * The integer range an observer uses, as torch's `calculate_qmin_qmax`.
 *
 * @example observerQuantRange("qint8", true); // [-64, 63]
 */
export function observerQuantRange(dtype: QDType, reduceRange = false, quantMin?: number, quantMax?: number): [number, number] {
  if ((quantMin === undefined) !== (quantMax === undefined)) throw new Error("observer: give both quantMin and quantMax, or neither");
  if (quantMin !== undefined && quantMax !== undefined) {
    if (!(Number.isInteger(quantMin) && Number.isInteger(quantMax) && quantMin <= 0 && 0 <= quantMax && quantMin < quantMax)) {
      throw new Error(`observer: quantMin/quantMax must be integers with quantMin <= 0 <= quantMax and quantMin < quantMax, got [${quantMin}, ${quantMax}]`);
    }
    const width = quantMax - quantMin + 1;
    if (dtype !== "qint32" && width > 256) throw new Error(`observer: a ${dtype} range holds at most 256 values, got [${quantMin}, ${quantMax}]`);
    return reduceRange ? [Math.floor(quantMin / 2), Math.floor(quantMax / 2)] : [quantMin, quantMax];
  }
  if (dtype === "qint8") return reduceRange ? [-64, 63] : [-128, 127];
  if (dtype === "quint8") return reduceRange ? [0, 127] : [0, 255];
  if (dtype === "qint32") return [-(2 ** 31), 2 ** 31 - 1];
  throw new Error(`observer: dtype "${dtype}" is not supported (use "qint8", "quint8" or "qint32")`);
}

/**
 * Scale and zero point from a min and max, as torch's observers'
 * `_calculate_qparams`, in float32: the range is widened to include 0;
 * symmetric schemes use max(|min|, |max|) / ((qmax - qmin) / 2) and a fixed
 * zero point (0, or 128 for quint8); affine ones (max - min) / (qmax - qmin)
 * and Z = qmin - round(min / S). Scales never go below `eps`.
 *
 * @example
 * calculateQparams(-1, 2, { dtype: "quint8", qscheme: "per_tensor_affine", quantMin: 0, quantMax: 255 });
 * // { scale: 3 / 255, zeroPoint: 85 }
 */
export function calculateQparams(minVal: number, maxVal: number, o: QparamsOptions): { scale: number; zeroPoint: number } {
  // Never observed (torch warns and returns the identity quantization).
  if (minVal === Infinity && maxVal === -Infinity) return { scale: 1, zeroPoint: 0 };
  if (!(Number.isFinite(minVal) && Number.isFinite(maxVal))) throw new Error(`calculateQparams: min/max must be finite, got [${minVal}, ${maxVal}]`);
  if (minVal > maxVal) throw new Error(`calculateQparams: min ${minVal} is greater than max ${maxVal}`);
  const eps = Math.fround(o.eps ?? FLOAT32_EPS);
  const minNeg = Math.fround(Math.min(minVal, 0));
  let maxPos = Math.fround(Math.max(maxVal, 0));
  if (o.qscheme === "per_tensor_symmetric" || o.qscheme === "per_channel_symmetric") {
    maxPos = Math.max(-minNeg, maxPos);
    const scale = Math.max(Math.fround(maxPos / ((o.quantMax - o.quantMin) / 2)), eps);
    const zeroPoint = o.dtype === "quint8" ? (o.customRange ? Math.floor((o.quantMin + o.quantMax) / 2) : 128) : 0;
    return { scale, zeroPoint };
  }
  const scale = Math.max(Math.fround(Math.fround(maxPos - minNeg) / (o.quantMax - o.quantMin)), eps);
  const zeroPoint = o.quantMin - roundHalfEven(Math.fround(minNeg / scale));
  return { scale, zeroPoint: Math.min(o.quantMax, Math.max(o.quantMin, zeroPoint)) };
}

function values(x: tf.Tensor | Float32Array, where: string): Float32Array {
  const data = x instanceof tf.Tensor ? (x.dataSync() as Float32Array) : x;
  if (!(data instanceof Float32Array)) throw new Error(`${where}: expected a float32 tf.Tensor or Float32Array`);
  for (let i = 0; i < data.length; i++) if (Number.isNaN(data[i])) throw new Error(`${where}: the observed tensor has NaN at index ${i}`);
  return data;
}

abstract class ObserverBase<S extends QScheme> {
  readonly dtype: QDType;
  readonly qscheme: S;
  readonly quantMin: number;
  readonly quantMax: number;
  readonly eps: number;
  private readonly customRange: boolean;

  constructor(options: ObserverOptions & { qscheme?: S }, defaultScheme: S, allowed: readonly S[], where: string, extraKeys: string[] = []) {
    const known = new Set(["dtype", "qscheme", "reduceRange", "quantMin", "quantMax", "eps", ...extraKeys]);
    for (const k of Object.keys(options)) if (!known.has(k)) throw new Error(`${where}: unknown option "${k}" (known: ${[...known].join(", ")})`);
    this.dtype = options.dtype ?? "quint8";
    this.qscheme = options.qscheme ?? defaultScheme;
    if (!allowed.includes(this.qscheme)) throw new Error(`${where}: qscheme "${this.qscheme}" is not supported here (use ${allowed.map((s) => `"${s}"`).join(" or ")})`);
    [this.quantMin, this.quantMax] = observerQuantRange(this.dtype, options.reduceRange ?? false, options.quantMin, options.quantMax);
    this.customRange = options.quantMin !== undefined;
    this.eps = options.eps ?? FLOAT32_EPS;
    if (!(this.eps > 0)) throw new Error(`${where}: eps must be > 0, got ${this.eps}`);
  }

  protected qparams(minVal: number, maxVal: number): { scale: number; zeroPoint: number } {
    return calculateQparams(minVal, maxVal, { dtype: this.dtype, qscheme: this.qscheme, quantMin: this.quantMin, quantMax: this.quantMax, customRange: this.customRange, eps: this.eps });
  }
}

/**
 * torch's `MinMaxObserver`: the running min and max of every tensor passed
 * to `forward`, turned into one scale and zero point.
 *
 * @example
 * const obs = new MinMaxObserver({ dtype: "qint8", qscheme: "per_tensor_symmetric" });
 * obs.forward(weight);
 * const { scale, zeroPoint } = obs.calculateQparams(); // scale = max|w| / 127.5, zeroPoint = 0
 */
export class MinMaxObserver extends ObserverBase<"per_tensor_affine" | "per_tensor_symmetric"> {
  minVal = Infinity;
  maxVal = -Infinity;

  constructor(options: ObserverOptions & { qscheme?: "per_tensor_affine" | "per_tensor_symmetric" } = {}) {
    super(options, "per_tensor_affine", ["per_tensor_affine", "per_tensor_symmetric"], "MinMaxObserver");
  }

  /** Records the tensor's min and max; returns the input unchanged. */
  forward<T extends tf.Tensor | Float32Array>(x: T): T {
    const data = values(x, "MinMaxObserver.forward");
    let lo = this.minVal;
    let hi = this.maxVal;
    for (let i = 0; i < data.length; i++) {
      if (data[i] < lo) lo = data[i];
      if (data[i] > hi) hi = data[i];
    }
    this.minVal = lo;
    this.maxVal = hi;
    return x;
  }

  calculateQparams(): { scale: number; zeroPoint: number } {
    return this.qparams(this.minVal, this.maxVal);
  }

  /** Quantizes `x` with the observed parameters (torch's `_quantize_weight`), recording this observer's scheme. */
  quantize(x: tf.Tensor | Float32Array, shape?: readonly number[]): QTensor {
    const { scale, zeroPoint } = this.calculateQparams();
    return quantizePerTensor(x, scale, zeroPoint, this.dtype, { shape, qscheme: this.qscheme });
  }

  reset(): void {
    this.minVal = Infinity;
    this.maxVal = -Infinity;
  }
}

/**
 * torch's `PerChannelMinMaxObserver`: a min and max per slice along `chAxis`
 * (default 0: the output rows of a PyTorch-layout Linear weight).
 *
 * @example
 * const obs = new PerChannelMinMaxObserver({ dtype: "qint8", qscheme: "per_channel_symmetric" });
 * obs.forward(weight, [out, in]);
 * obs.calculateQparams().scales; // one per output row
 */
export class PerChannelMinMaxObserver extends ObserverBase<"per_channel_affine" | "per_channel_symmetric"> {
  readonly chAxis: number;
  minVals: Float32Array = new Float32Array(0);
  maxVals: Float32Array = new Float32Array(0);

  constructor(options: ObserverOptions & { qscheme?: "per_channel_affine" | "per_channel_symmetric"; chAxis?: number } = {}) {
    super(options, "per_channel_affine", ["per_channel_affine", "per_channel_symmetric"], "PerChannelMinMaxObserver", ["chAxis"]);
    this.chAxis = options.chAxis ?? 0;
    if (!(Number.isInteger(this.chAxis) && this.chAxis >= 0)) throw new Error(`PerChannelMinMaxObserver: chAxis must be an integer >= 0, got ${options.chAxis}`);
  }

  /** Records each channel's min and max; `shape` is needed for a Float32Array. Returns the input. */
  forward<T extends tf.Tensor | Float32Array>(x: T, shape?: readonly number[]): T {
    const where = "PerChannelMinMaxObserver.forward";
    const s = x instanceof tf.Tensor ? x.shape : shape;
    if (!s) throw new Error(`${where}: pass the shape of a Float32Array input`);
    if (this.chAxis >= s.length) throw new Error(`${where}: chAxis ${this.chAxis} is out of range for shape [${s}]`);
    const data = values(x, where);
    const channels = s[this.chAxis];
    if (this.minVals.length === 0) {
      this.minVals = new Float32Array(channels).fill(Infinity);
      this.maxVals = new Float32Array(channels).fill(-Infinity);
    } else if (this.minVals.length !== channels) throw new Error(`${where}: ${channels} channels, but earlier tensors had ${this.minVals.length}`);
    const inner = s.slice(this.chAxis + 1).reduce((a, b) => a * b, 1);
    for (let i = 0; i < data.length; i++) {
      const c = Math.floor(i / inner) % channels;
      if (data[i] < this.minVals[c]) this.minVals[c] = data[i];
      if (data[i] > this.maxVals[c]) this.maxVals[c] = data[i];
    }
    return x;
  }

  calculateQparams(): { scales: Float32Array; zeroPoints: Int32Array } {
    if (this.minVals.length === 0) return { scales: Float32Array.of(1), zeroPoints: Int32Array.of(0) };
    const scales = new Float32Array(this.minVals.length);
    const zeroPoints = new Int32Array(this.minVals.length);
    for (let c = 0; c < scales.length; c++) {
      const p = this.qparams(this.minVals[c], this.maxVals[c]);
      scales[c] = p.scale;
      zeroPoints[c] = p.zeroPoint;
    }
    return { scales, zeroPoints };
  }

  /** Quantizes `x` per channel with the observed parameters, recording this observer's scheme. */
  quantize(x: tf.Tensor | Float32Array, shape?: readonly number[]): QTensor {
    const { scales, zeroPoints } = this.calculateQparams();
    return quantizePerChannel(x, scales, zeroPoints, this.chAxis, this.dtype, { shape, qscheme: this.qscheme });
  }

  reset(): void {
    this.minVals = new Float32Array(0);
    this.maxVals = new Float32Array(0);
  }
}
