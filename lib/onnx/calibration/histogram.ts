// The histogram side of ONNX Runtime's calibrate.py (HistogramCollector):
// one histogram per tensor over everything the calibration data produced,
// then a range from it by percentile or by minimum KL divergence (entropy).
// Bins are numpy.histogram's: edges from linspace in float64 cast to float32,
// half-open bins with the last one closed.
import type { TensorRange } from "../quantize/qdq";

/** "value": bins over [-max|x|, max|x|] (ORT's collect_value); "absolute": bins of |x| over [min|x|, max|x|] (collect_absolute_value). */
export type HistogramMode = "value" | "absolute";

/**
 * A tensor's histogram, filled in two passes over the calibration data:
 * `observe` every batch (min and max fix the bins), then `add` every batch.
 * The result equals one numpy.histogram over all the values at once, which
 * is what ORT computes when the data reader is read in one collect_data call.
 *
 * @example
 * const h = new TensorHistogram("value", 128);
 * batches.forEach((b) => h.observe(b));
 * batches.forEach((b) => h.add(b));
 * entropyRange(h, 128); // { lowest, highest }
 */
export class TensorHistogram {
  /** Smallest and largest raw value seen (NaN ignored, as numpy.nanmin / nanmax). */
  min = Infinity;
  max = -Infinity;
  private absMin = Infinity;
  private absMax = -Infinity;
  counts: Float64Array;
  edges: Float32Array = new Float32Array(0);
  private first = 0;
  private last = 0;

  constructor(readonly mode: HistogramMode, readonly numBins: number) {
    if (!(Number.isInteger(numBins) && numBins >= 1)) throw new Error(`TensorHistogram: numBins must be a positive integer, got ${numBins}`);
    this.counts = new Float64Array(numBins);
  }

  /** Pass 1: widens the min/max (call for every batch before any `add`). */
  observe(values: ArrayLike<number>): void {
    if (this.edges.length) throw new Error("TensorHistogram.observe: the bins are already fixed (observe every batch before the first add)");
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isNaN(v)) continue;
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      const a = Math.abs(v);
      if (a < this.absMin) this.absMin = a;
      if (a > this.absMax) this.absMax = a;
    }
  }

  private fixBins(): void {
    if (this.min === Infinity) throw new Error("TensorHistogram: no values observed");
    let first: number, last: number;
    if (this.mode === "value") {
      const th = Math.fround(Math.max(Math.abs(this.min), Math.abs(this.max)));
      [first, last] = [-th, th];
    } else [first, last] = [this.absMin, this.absMax];
    if (first === last) [first, last] = [first - 0.5, last + 0.5]; // numpy widens an empty range
    const n = this.numBins;
    const step = (last - first) / n;
    this.edges = new Float32Array(n + 1);
    for (let i = 0; i < n; i++) this.edges[i] = i * step + first;
    this.edges[n] = last;
    [this.first, this.last] = [first, last];
  }

  /** Pass 2: counts the values into the fixed bins (values outside the range are left out, as numpy). */
  add(values: ArrayLike<number>): void {
    if (!this.edges.length) this.fixBins();
    const { edges, first, last, numBins: n } = this;
    const abs = this.mode === "absolute";
    const width = last - first;
    for (let i = 0; i < values.length; i++) {
      const v = abs ? Math.abs(values[i]) : values[i];
      if (!(v >= first && v <= last)) continue; // also drops NaN
      let b = Math.min(n - 1, Math.floor(((v - first) / width) * n));
      while (b > 0 && v < edges[b]) b--;
      while (b < n - 1 && v >= edges[b + 1]) b++;
      this.counts[b]++;
    }
  }
}

/**
 * ORT's `compute_percentile`: the edge where the cumulative share of values
 * reaches `percentile` (symmetric: of |x|, giving ±edge), or cuts
 * (100 - percentile) / 2 percent off each side; clamped to the observed min/max.
 *
 * @example percentileRange(h, 99.999, true); // { lowest: -e, highest: e }
 */
export function percentileRange(h: TensorHistogram, percentile: number, symmetric: boolean): TensorRange {
  if (!(percentile >= 0 && percentile <= 100)) throw new Error(`percentileRange: percentile must be in [0, 100], got ${percentile}`);
  const total = h.counts.reduce((a, b) => a + b, 0);
  const cdf = new Float64Array(h.counts.length);
  let acc = 0;
  h.counts.forEach((c, i) => (cdf[i] = acc += c / total));
  const searchsorted = (v: number) => {
    let i = 0;
    while (i < cdf.length && cdf[i] < v) i++;
    return i;
  };
  let lowest: number, highest: number;
  if (symmetric) {
    const e = h.edges[searchsorted(percentile / 100)];
    [lowest, highest] = [-e, e];
  } else {
    const cut = (100 - percentile) / 200;
    [lowest, highest] = [h.edges[searchsorted(cut)], h.edges[searchsorted(1 - cut)]];
  }
  return { lowest: Math.max(lowest, h.min), highest: Math.min(highest, h.max) };
}

const f32 = Math.fround;

/**
 * numpy's sum of a float32 array (pairwise summation in float32, blocks of
 * 8 accumulators up to 128 values), so sums round as ORT's do.
 */
function sumFloat32(a: Float32Array, from = 0, n = a.length): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res = f32(res + a[from + i]);
    return res;
  }
  if (n <= 128) {
    const r = Array.from(a.subarray(from, from + 8));
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = f32(r[j] + a[from + i + j]);
    let res = f32(f32(f32(r[0] + r[1]) + f32(r[2] + r[3])) + f32(f32(r[4] + r[5]) + f32(r[6] + r[7])));
    for (; i < n; i++) res = f32(res + a[from + i]);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return f32(sumFloat32(a, from, n2) + sumFloat32(a, from + n2, n - n2));
}

/** ORT's `smooth_distribution` (quant_utils.py), in its float32: zeros become eps, taken evenly off the non-zero bins; null when all are zero. */
function smooth(p: Float64Array, eps = 0.0001): Float32Array | null {
  let zeros = 0;
  for (const v of p) if (v === 0) zeros++;
  const nonzeros = p.length - zeros;
  if (nonzeros === 0) return null;
  const eps1 = (eps * zeros) / nonzeros;
  const add0 = f32(eps), add1 = f32(-eps1);
  return Float32Array.from(p, (v) => f32(f32(v) + (v === 0 ? add0 : add1)));
}

/**
 * ORT's `entropy(p, q)` (calibrate.py's float32 stand-in for scipy.stats.entropy):
 * both normalised in float32, rel_entr per bin, summed as numpy sums float32.
 * Candidates whose divergences round to the same float32 tie, and the first wins.
 * The log is Math.log rounded to float32, which can differ from numpy's float32
 * log in the last bit; test/onnx/entropyCalibration.test.ts checks the chosen
 * ranges against ORT's own code on 27 tensors.
 */
function klDivergence(p: Float32Array, q: Float32Array): number {
  const sp = sumFloat32(p), sq = sumFloat32(q);
  const terms = new Float32Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const pi = f32(p[i] / sp), qi = f32(q[i] / sq);
    if (pi === 0 && qi >= 0) terms[i] = 0;
    else if (!(pi > 0 && qi > 0)) terms[i] = Infinity;
    else terms[i] = f32(pi * f32(Math.log(f32(pi / qi))));
  }
  return sumFloat32(terms);
}

/**
 * ORT's `get_entropy_threshold` (TensorRT's KL method): for each candidate
 * window of bins centred on zero (from `numQuantizedBins` bins to all),
 * merge the window into `numQuantizedBins` levels and measure the KL
 * divergence from the clipped distribution; the window with the smallest
 * divergence gives the range, clamped to the observed min/max. With ORT's
 * defaults (128 bins, 128 quantized bins) there is one candidate, the whole
 * range. As in ORT, expanded levels are truncated to integers.
 *
 * @example entropyRange(h, 128); // { lowest, highest }
 */
export function entropyRange(h: TensorHistogram, numQuantizedBins: number): TensorRange {
  if (h.mode !== "value") throw new Error("entropyRange: needs a histogram of values (mode \"value\")");
  if (!(Number.isInteger(numQuantizedBins) && numQuantizedBins >= 2)) throw new Error(`entropyRange: numQuantizedBins must be an integer >= 2, got ${numQuantizedBins}`);
  const hist = h.counts;
  const numBins = hist.length;
  const zeroBin = Math.floor(numBins / 2);
  const halfQ = Math.floor(numQuantizedBins / 2);
  if (halfQ > zeroBin) throw new Error(`entropyRange: numQuantizedBins (${numQuantizedBins}) must not exceed the histogram's bins (${numBins})`);
  let best = { kl: Infinity, lowest: 0, highest: 0, found: false };
  for (let i = halfQ; i <= zeroBin; i++) {
    const start = zeroBin - i;
    const end = Math.min(zeroBin + i + 1, numBins);
    const sliced = hist.slice(start, end);
    const p = sliced.slice();
    let left = 0, right = 0;
    for (let j = 0; j < start; j++) left += hist[j];
    for (let j = end; j < numBins; j++) right += hist[j];
    p[0] += left;
    p[p.length - 1] += right;
    const merged = Math.floor(sliced.length / numQuantizedBins);
    const levels = new Float64Array(numQuantizedBins);
    for (let j = 0; j < numQuantizedBins; j++) for (let k = j * merged; k < (j + 1) * merged; k++) levels[j] += sliced[k];
    for (let k = numQuantizedBins * merged; k < sliced.length; k++) levels[numQuantizedBins - 1] += sliced[k];
    const q = new Float64Array(p.length);
    for (let j = 0; j < numQuantizedBins; j++) {
      let norm = 0;
      for (let k = j * merged; k < (j + 1) * merged; k++) if (p[k] !== 0) norm++;
      if (norm) q.fill(Math.trunc(levels[j] / norm), j * merged, (j + 1) * merged);
    }
    const ps = smooth(p);
    const qs = smooth(q);
    const kl = ps && qs ? klDivergence(ps, qs) : Infinity;
    // np.argmin: the first smallest (and the first candidate when all are infinite).
    if (!best.found || kl < best.kl) best = { kl, lowest: h.edges[start], highest: h.edges[end], found: true };
  }
  return { lowest: Math.max(best.lowest, h.min), highest: Math.min(best.highest, h.max) };
}
