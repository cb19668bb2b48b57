// k-nearest-neighbour distance on normalised features (Sun et al., 2022):
// no class structure assumed; a query far from every training example is
// out of scope. The bank is a seeded sample of in-scope training features,
// since the whole training set would outweigh a compressed model.
import { Random } from "../utils/random";

/** A fitted kNN detector: unit-norm training features and the neighbour to measure to. */
export interface KnnParams {
  dim: number;
  /** Which neighbour's distance is the score (1 = nearest). */
  k: number;
  /** [rows × dim] row-major, each row of unit L2 norm. */
  bank: Float32Array;
}

/** Options of `fitKnn`. */
export interface KnnFitOptions {
  /** Rows with this label stay out of the bank. */
  oosId?: number;
  /** Which neighbour's distance scores a query (Sun et al. use k = 50 on 50,000 rows). Default 10. */
  k?: number;
  /** Rows kept in the bank at most (a seeded random sample). Default 2048. */
  bankSize?: number;
  seed?: number;
}

function normalised(f: ArrayLike<number>, out: Float32Array, offset: number): void {
  let norm = 0;
  for (let j = 0; j < f.length; j++) norm += f[j] * f[j];
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let j = 0; j < f.length; j++) out[offset + j] = f[j] * inv;
}

/**
 * Builds the bank of normalised in-scope training features.
 *
 * @example
 * const params = fitKnn(trainFeatures, trainLabels, { oosId, k: 10, bankSize: 2048 });
 * knnScore(params, features[0]); // −(distance to the 10th nearest bank row)
 */
export function fitKnn(features: readonly ArrayLike<number>[], labels: readonly number[], options: KnnFitOptions = {}): KnnParams {
  if (features.length !== labels.length) throw new Error(`fitKnn: ${features.length} feature rows for ${labels.length} labels`);
  const k = options.k ?? 10;
  const bankSize = options.bankSize ?? 2048;
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`fitKnn: k must be a positive integer, got ${k}`);
  if (!(Number.isInteger(bankSize) && bankSize >= 1)) throw new Error(`fitKnn: bankSize must be a positive integer, got ${bankSize}`);
  let idx = labels.map((y, i) => (y === options.oosId ? -1 : i)).filter((i) => i >= 0);
  if (idx.length < k) throw new Error(`fitKnn: k = ${k} needs at least ${k} in-scope rows, got ${idx.length}`);
  if (idx.length > bankSize) {
    const rng = new Random(options.seed ?? 0);
    const order = rng.permutation(idx.length);
    idx = order.slice(0, bankSize).map((j) => idx[j]).sort((a, b) => a - b);
  }
  const dim = features[idx[0]].length;
  const bank = new Float32Array(idx.length * dim);
  idx.forEach((i, r) => {
    if (features[i].length !== dim) throw new Error(`fitKnn: feature row ${i} has ${features[i].length} values, expected ${dim}`);
    normalised(features[i], bank, r * dim);
  });
  if (idx.length < k) throw new Error(`fitKnn: k = ${k} is more than the bank's ${idx.length} rows`);
  return { dim, k, bank };
}

/**
 * Minus the Euclidean distance from the normalised query to its k-th
 * nearest bank row (higher = more in scope).
 *
 * @example
 * knnScore({ dim: 2, k: 1, bank: Float32Array.of(1, 0, 0, 1) }, [3, 0]); // −0 (it is a bank row's direction)
 */
export function knnScore(params: KnnParams, features: ArrayLike<number>): number {
  const { dim, k, bank } = params;
  if (features.length !== dim) throw new Error(`knnScore: the detector was fitted on ${dim} features, got ${features.length}`);
  const z = new Float32Array(dim);
  normalised(features, z, 0);
  const rows = bank.length / dim;
  // The k smallest squared distances so far, kept sorted (k is small).
  const best = new Float64Array(k).fill(Infinity);
  for (let r = 0; r < rows; r++) {
    // Unit vectors: ‖z − b‖² = 2 − 2 z·b.
    let dot = 0;
    const off = r * dim;
    for (let j = 0; j < dim; j++) dot += z[j] * bank[off + j];
    const d = Math.max(0, 2 - 2 * dot);
    if (d >= best[k - 1]) continue;
    let p = k - 1;
    while (p > 0 && best[p - 1] > d) {
      best[p] = best[p - 1];
      p--;
    }
    best[p] = d;
  }
  return -Math.sqrt(best[k - 1]);
}
