// The univariate Parzen estimator of TPE (Optuna 3.1's _ParzenEstimator with
// multivariate=false): a weighted mixture of truncated normals, one per
// observation plus a prior, over one parameter in its internal space (log
// space for log distributions, indices for categoricals).
import type { Distribution } from "../distributions";
import { Random } from "../../utils/random";
import { logAddExp, logGaussMass, truncnormPpf } from "./truncnorm";

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

const EPS = 1e-12;

/** Parzen estimator settings (TPESampler passes its own). */
export interface ParzenEstimatorParameters {
  considerPrior: boolean;
  priorWeight: number;
  considerMagicClip: boolean;
  considerEndpoints: boolean;
  /** Weights of n observations in chronological order (oldest first). */
  weights: (n: number) => number[];
}

/**
 * Optuna's default weights: 1 for the latest 25 observations, older ones
 * ramping linearly from 1/n up to 1.
 *
 * @example
 * defaultWeights(3); // [1, 1, 1]
 */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return new Array(n).fill(1);
  const m = n - 25;
  const ramp = Array.from({ length: m }, (_, i) => (m === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (m - 1)));
  return [...ramp, ...new Array(25).fill(1)];
}

/**
 * A mixture over one parameter, fitted to observations (internal values).
 * Immutable once built; `sample` draws from it and `logPdf` evaluates it.
 *
 * @example
 * const pe = new ParzenEstimator([0.1, 0.4], floatDistribution(0, 1), params);
 * const xs = pe.sample(new Random(0), 24);
 * const ll = pe.logPdf(xs);
 */
export class ParzenEstimator {
  readonly weights: number[];
  /** Numeric: component means and widths in the transformed space. */
  readonly mus: number[] = [];
  readonly sigmas: number[] = [];
  /** Categorical: per component, the probability of each choice. */
  readonly categoricalWeights: number[][] = [];
  readonly low = 0;
  readonly high = 0;
  /** Grid step in the transformed space (ints, stepped floats), else null. */
  readonly q: number | null = null;
  /** Factor from values to the transformed space: 1, or 0.5 where high - low overflows. */
  readonly scale: number = 1;
  private readonly logWeights: number[];
  private readonly logMass: number[] = [];

  constructor(
    observations: readonly number[],
    readonly distribution: Distribution,
    readonly parameters: ParzenEstimatorParameters,
  ) {
    const n = observations.length;
    const considerPrior = parameters.considerPrior || n === 0;
    for (const x of observations) if (!Number.isFinite(x)) throw new Error(`ParzenEstimator: observations must be finite numbers, got ${x}`);
    this.weights = this.computeWeights(n, considerPrior);
    this.logWeights = this.weights.map(Math.log);
    const d = distribution;
    if (d.type === "categorical") {
      const k = d.choices.length;
      const rows = considerPrior ? n + 1 : n;
      const fill = parameters.priorWeight / rows;
      for (let i = 0; i < rows; i++) {
        const row = new Array(k).fill(fill);
        if (i < n) row[Math.round(observations[i])] += 1;
        const s = row.reduce((a, b) => a + b, 0);
        this.categoricalWeights.push(row.map((v) => v / s));
      }
      return;
    }
    // Bounds in the transformed space: ints and stepped floats widen by half a step.
    let low: number, high: number, q: number | null;
    if (d.log) {
      low = Math.log(d.type === "int" ? d.low - 0.5 : d.low);
      high = Math.log(d.type === "int" ? d.high + 0.5 : d.high);
      q = null;
    } else if (d.step !== null) {
      q = d.step;
      low = d.low - 0.5 * q;
      high = d.high + 0.5 * q;
    } else {
      low = d.low;
      high = d.high;
      q = null;
    }
    if (!(low < high)) throw new Error(`ParzenEstimator: empty range [${low}, ${high}]`);
    // A finite range wider than the largest double (e.g. [-1e308, 1e308]) overflows high - low:
    // work on halved values there (exact, and a constant factor cancels in l(x)/g(x)).
    const scale = Number.isFinite(high - low) ? 1 : 0.5;
    if (scale !== 1) {
      low *= scale;
      high *= scale;
      if (q !== null) q *= scale;
    }
    Object.assign(this, { low, high, q, scale });
    const obs = d.log ? observations.map(Math.log) : observations.map((x) => x * scale);
    const mus = considerPrior ? [...obs, 0.5 * (low + high)] : obs;
    // Each width is the larger gap to a neighbour (the bounds count as neighbours) …
    // Repeated values (ints, steps) stay in trial order; Optuna's np.argsort is stable
    // only up to 16 elements, so which copy gets the wider width is arbitrary there.
    const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b] || a - b);
    const sorted = [low, ...order.map((i) => mus[i]), high];
    const sortedSigmas = order.map((_, j) => Math.max(sorted[j + 1] - sorted[j], sorted[j + 2] - sorted[j + 1]));
    // … except that, without considerEndpoints, the outermost use their inner gap only.
    if (!parameters.considerEndpoints && sorted.length >= 4) {
      sortedSigmas[0] = sorted[2] - sorted[1];
      sortedSigmas[sortedSigmas.length - 1] = sorted[sorted.length - 2] - sorted[sorted.length - 3];
    }
    const sigmas = new Array<number>(mus.length);
    order.forEach((i, j) => (sigmas[i] = sortedSigmas[j]));
    const maxSigma = high - low;
    const minSigma = parameters.considerMagicClip ? (high - low) / Math.min(100, 1 + mus.length) : EPS;
    for (let i = 0; i < sigmas.length; i++) sigmas[i] = Math.min(Math.max(sigmas[i], minSigma), maxSigma);
    if (considerPrior) sigmas[n] = high - low;
    this.mus.push(...mus);
    this.sigmas.push(...sigmas);
    for (let i = 0; i < mus.length; i++) this.logMass.push(logGaussMass((low - mus[i]) / sigmas[i], (high - mus[i]) / sigmas[i]));
  }

  private computeWeights(n: number, considerPrior: boolean): number[] {
    const w = this.parameters.weights(n).slice(0, n);
    if (w.length !== n) throw new Error(`TPE weights(${n}) returned ${w.length} values; it must return one per observation`);
    if (w.some((v) => v < 0)) throw new Error(`TPE weights(${n}) returned negative values ${JSON.stringify(w)}`);
    if (w.some((v) => !Number.isFinite(v))) throw new Error(`TPE weights(${n}) returned infinite or NaN values ${JSON.stringify(w)}`);
    if (n > 0 && w.reduce((a, b) => a + b, 0) <= 0) throw new Error(`TPE weights(${n}) returned all zeros`);
    const all = considerPrior ? [...w, this.parameters.priorWeight] : w;
    const s = all.reduce((a, b) => a + b, 0);
    return all.map((v) => v / s);
  }

  /** Draws `size` values (internal representation: a categorical's index, an int as an integer). */
  sample(rng: Random, size: number): number[] {
    const cum: number[] = [];
    let acc = 0;
    for (const w of this.weights) cum.push((acc += w));
    const active = Array.from({ length: size }, () => {
      const u = rng.next() * acc;
      let i = 0;
      while (i < cum.length - 1 && cum[i] <= u) i++;
      return i;
    });
    const d = this.distribution;
    if (d.type === "categorical") {
      return active.map((j) => {
        const u = rng.next();
        const row = this.categoricalWeights[j];
        let c = 0;
        let k = 0;
        for (; k < row.length - 1; k++) if ((c += row[k]) >= u) break;
        return k;
      });
    }
    const raw = active.map((j) => {
      const mu = this.mus[j];
      const sigma = this.sigmas[j];
      return truncnormPpf(rng.next(), (this.low - mu) / sigma, (this.high - mu) / sigma) * sigma + mu;
    });
    return raw.map((x) => this.fromTransformed(x));
  }

  /** Back from the transformed space, rounded onto the distribution's grid. */
  private fromTransformed(x: number): number {
    const d = this.distribution as Exclude<Distribution, { type: "categorical" }>;
    const clip = (v: number) => Math.min(Math.max(v, d.low), d.high);
    if (d.type === "float") {
      if (d.log) return Math.exp(x);
      x /= this.scale;
      if (d.step !== null) return clip(Math.round((x - d.low) / d.step) * d.step + d.low);
      return clip(x);
    }
    if (d.log) return clip(Math.round(Math.exp(x)));
    return clip(Math.round((x - d.low) / d.step) * d.step + d.low);
  }

  /** log density (or, on a grid, log probability) of each value. */
  logPdf(values: readonly number[]): number[] {
    const d = this.distribution;
    const nComp = this.weights.length;
    if (d.type === "categorical") {
      return values.map((v) => {
        let p = 0;
        for (let j = 0; j < nComp; j++) p += this.weights[j] * this.categoricalWeights[j][v];
        return Math.log(p);
      });
    }
    return values.map((v) => {
      const x = d.log ? Math.log(v) : v * this.scale;
      let out = -Infinity;
      for (let j = 0; j < nComp; j++) {
        const mu = this.mus[j];
        const sigma = this.sigmas[j];
        let lp: number;
        if (this.q === null) {
          // Optuna 3.1's _truncnorm.logpdf: the standard normal's log density at z, over the
          // component's mass, without the -log(σ) of a scaled density (see TPESampler).
          const z = (x - mu) / sigma;
          lp = x < this.low || x > this.high ? -Infinity : -0.5 * z * z - LOG_SQRT_2PI - this.logMass[j];
        } else {
          const upper = Math.min(x + this.q / 2, this.high);
          const lower = Math.max(x - this.q / 2, this.low);
          lp = logGaussMass((lower - mu) / sigma, (upper - mu) / sigma) - this.logMass[j];
        }
        out = logAddExp(out, lp + this.logWeights[j]);
      }
      return out;
    });
  }
}
