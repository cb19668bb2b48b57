// Mahalanobis distance on a classifier's pooled features (Lee et al., 2018;
// Podolskiy et al., 2021 for intents): class means and one shared covariance
// fitted on in-scope training features; a query's score is minus its
// squared distance to the nearest class mean.

/** A fitted Mahalanobis detector in whitened form: d(x, c) = ‖W x − m_c‖². */
export interface MahalanobisParams {
  /** Feature width. */
  dim: number;
  /** [dim × dim] row-major lower-triangular W = L⁻¹, where L Lᵀ is the shared covariance. */
  whitening: Float32Array;
  /** [classes × dim] row-major whitened class means W μ_c. */
  means: Float32Array;
  /** The label id of each mean row. */
  classIds: Int32Array;
}

/** Cholesky factor L (lower, row-major) of a symmetric positive-definite matrix, in float64. */
function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 0)) throw new Error(`fitMahalanobis: the covariance is not positive definite at dimension ${i} (constant or duplicate features; raise shrinkage)`);
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j];
    }
  }
  return l;
}

/** Inverse of a lower-triangular matrix (row-major), itself lower-triangular. */
function invertLower(l: Float64Array, n: number): Float64Array {
  const w = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    w[j * n + j] = 1 / l[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s += l[i * n + k] * w[k * n + j];
      w[i * n + j] = -s / l[i * n + i];
    }
  }
  return w;
}

/** Options of `fitMahalanobis`. */
export interface MahalanobisFitOptions {
  /** Rows with this label are left out (the out-of-scope class is no class to be near). */
  oosId?: number;
  /**
   * Ridge added to the covariance's diagonal, as a share of its mean
   * variance (default 1e-3): keeps it invertible when features are constant
   * (a ReLU that never fires) or fewer rows than dimensions.
   */
  shrinkage?: number;
}

/**
 * Fits class means and the shared (tied) covariance on training features,
 * as Lee et al.'s generative classifier: Σ = 1/N Σ_i (x_i − μ_{y_i})(x_i − μ_{y_i})ᵀ.
 *
 * @example
 * const params = fitMahalanobis(trainFeatures, trainLabels, { oosId });
 * mahalanobisScore(params, features[0]); // −(squared distance to the nearest class mean)
 */
export function fitMahalanobis(features: readonly ArrayLike<number>[], labels: readonly number[], options: MahalanobisFitOptions = {}): MahalanobisParams {
  if (features.length !== labels.length) throw new Error(`fitMahalanobis: ${features.length} feature rows for ${labels.length} labels`);
  const rows = features.map((f, i) => ({ f, y: labels[i] })).filter((r) => r.y !== options.oosId);
  if (rows.length < 2) throw new Error(`fitMahalanobis: needs at least 2 in-scope rows, got ${rows.length}`);
  const dim = rows[0].f.length;
  const shrinkage = options.shrinkage ?? 1e-3;
  if (!(shrinkage >= 0 && Number.isFinite(shrinkage))) throw new Error(`fitMahalanobis: shrinkage must be a non-negative number, got ${shrinkage}`);
  const sums = new Map<number, { sum: Float64Array; n: number }>();
  rows.forEach(({ f, y }, i) => {
    if (f.length !== dim) throw new Error(`fitMahalanobis: feature row ${i} has ${f.length} values, row 0 has ${dim}`);
    let s = sums.get(y);
    if (!s) sums.set(y, (s = { sum: new Float64Array(dim), n: 0 }));
    for (let j = 0; j < dim; j++) {
      if (!Number.isFinite(f[j])) throw new Error(`fitMahalanobis: feature row ${i} has a non-finite value (${f[j]}) at ${j}`);
      s.sum[j] += f[j];
    }
    s.n++;
  });
  const classIds = [...sums.keys()].sort((a, b) => a - b);
  const mu = new Map(classIds.map((c) => [c, sums.get(c)!.sum.map((v) => v / sums.get(c)!.n)]));
  const cov = new Float64Array(dim * dim);
  const centered = new Float64Array(dim);
  for (const { f, y } of rows) {
    const m = mu.get(y)!;
    for (let j = 0; j < dim; j++) centered[j] = f[j] - m[j];
    for (let i = 0; i < dim; i++) {
      const ci = centered[i];
      if (ci === 0) continue;
      for (let j = 0; j <= i; j++) cov[i * dim + j] += ci * centered[j];
    }
  }
  let trace = 0;
  for (let i = 0; i < dim; i++) trace += cov[i * dim + i] / rows.length;
  const ridge = shrinkage * (trace / dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j <= i; j++) cov[i * dim + j] = cov[j * dim + i] = cov[i * dim + j] / rows.length;
    cov[i * dim + i] += ridge;
  }
  const w = invertLower(cholesky(cov, dim), dim);
  const means = new Float32Array(classIds.length * dim);
  classIds.forEach((c, k) => {
    const m = mu.get(c)!;
    for (let i = 0; i < dim; i++) {
      let s = 0;
      for (let j = 0; j <= i; j++) s += w[i * dim + j] * m[j];
      means[k * dim + i] = s;
    }
  });
  return { dim, whitening: Float32Array.from(w), means, classIds: Int32Array.from(classIds) };
}

/**
 * Minus the squared Mahalanobis distance of one feature row to the nearest
 * class mean (higher = more in scope).
 *
 * @example
 * mahalanobisScore(fitMahalanobis([[0, 0], [2, 0], [0, 2], [2, 2]], [0, 0, 1, 1]), [1, 1]); // −2000: a unit off both means along y, where no training row varies (variance 0 + the ridge 5e-4)
 */
export function mahalanobisScore(params: MahalanobisParams, features: ArrayLike<number>): number {
  const { dim, whitening: w, means } = params;
  if (features.length !== dim) throw new Error(`mahalanobisScore: the detector was fitted on ${dim} features, got ${features.length}`);
  const z = new Float64Array(dim);
  for (let i = 0; i < dim; i++) {
    let s = 0;
    const row = i * dim;
    for (let j = 0; j <= i; j++) s += w[row + j] * features[j];
    z[i] = s;
  }
  let best = Infinity;
  for (let k = 0; k < params.classIds.length; k++) {
    let d = 0;
    const row = k * dim;
    for (let i = 0; i < dim; i++) {
      const diff = z[i] - means[row + i];
      d += diff * diff;
      if (d >= best) break;
    }
    if (d < best) best = d;
  }
  return -best;
}
