// Mask arithmetic on host arrays: how many entries an amount prunes
// (PyTorch's rounding), which ones (the smallest scores, exactly k of them,
// ties to the lower index), and sparsity counts. Masks are Float32Arrays of
// 0 and 1, as PyTorch's `weight_mask` buffers.
import { roundHalfEven } from "../int8/int8";

/** A pruning amount: a fraction in [0, 1] of the entries, or a count (an integer above 1, or `{ count }`). */
export type PruningAmount = number | { count: number };

/**
 * How many of `size` entries an amount prunes, as PyTorch's
 * `_compute_nparams_toprune` (a fraction is rounded half to even, as
 * Python's `round`), with its errors for amounts outside [0, 1] and counts
 * above the number of entries.
 *
 * A plain number in [0, 1] is a fraction (1 prunes everything, PyTorch's
 * `1.0`); an integer above 1 is a count; `{ count: 1 }` prunes one entry.
 *
 * @example numToPrune(0.4, 50); // 20
 * @example numToPrune({ count: 3 }, 50); // 3
 */
export function numToPrune(amount: PruningAmount, size: number, where = "prune"): number {
  const count = checkAmount(amount, where);
  if (count !== undefined) {
    if (count > size) throw new Error(`${where}: amount=${count} should be smaller than the number of parameters to prune=${size}`);
    return count;
  }
  return roundHalfEven((amount as number) * size);
}

/**
 * Validates an amount (PyTorch's `_validate_pruning_amount_init`); returns the count when it is one.
 *
 * @example checkAmount(7); // 7 (a count); checkAmount(0.3); // undefined (a fraction)
 */
export function checkAmount(amount: PruningAmount, where = "prune"): number | undefined {
  if (typeof amount === "object" && amount !== null && "count" in amount) {
    const c = amount.count;
    if (!(Number.isInteger(c) && c >= 0)) throw new Error(`${where}: amount={ count: ${JSON.stringify(c)} } should be a non-negative integer`);
    return c;
  }
  if (typeof amount !== "number" || Number.isNaN(amount)) throw new Error(`${where}: invalid type for amount: ${JSON.stringify(amount)}. Must be a number (a fraction in [0, 1] or a count) or { count }`);
  if (amount >= 0 && amount <= 1) return undefined;
  if (Number.isInteger(amount) && amount > 1) return amount;
  throw new Error(`${where}: amount=${amount} should either be a float in the range [0, 1] or a non-negative integer`);
}

/**
 * The indices of the `k` smallest values (exactly k; among equal values the
 * lower index goes first). O(n) on average: a quickselect finds the k-th
 * value, then one pass collects the indices.
 *
 * @example smallestIndices([0.3, -1, 0.1, 0.1], 2); // Int32Array [1, 2]
 */
export function smallestIndices(values: ArrayLike<number>, k: number): Int32Array {
  const n = values.length;
  if (!(Number.isInteger(k) && k >= 0 && k <= n)) throw new Error(`smallestIndices: k must be an integer in [0, ${n}], got ${k}`);
  const out = new Int32Array(k);
  if (k === 0) return out;
  const threshold = kthSmallest(values, k);
  let below = 0;
  for (let i = 0; i < n; i++) if (values[i] < threshold) below++;
  let atThreshold = k - below;
  let j = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v < threshold) out[j++] = i;
    else if (v === threshold && atThreshold > 0) {
      out[j++] = i;
      atThreshold--;
    }
  }
  return out;
}

/**
 * The k-th smallest value (1-based) by quickselect on a copy. NaN counts as the largest.
 *
 * @example kthSmallest([5, 1, 4], 2); // 4
 */
export function kthSmallest(values: ArrayLike<number>, k: number): number {
  const a = Float64Array.from(values as ArrayLike<number>, (v) => (Number.isNaN(v) ? Infinity : v));
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1;
  // Deterministic pivots (median of three) keep runs repeatable.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const pivot = median3(a[lo], a[mid], a[hi]);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target];
  }
  return a[target];
}

function median3(x: number, y: number, z: number): number {
  return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
}

/**
 * A mask of ones with the `k` smallest scores set to 0.
 *
 * @example pruneSmallest([0.3, 0.01, 0.2], 1); // Float32Array [1, 0, 1]
 */
export function pruneSmallest(scores: ArrayLike<number>, k: number): Float32Array {
  const mask = new Float32Array(scores.length).fill(1);
  for (const i of smallestIndices(scores, k)) mask[i] = 0;
  return mask;
}

/**
 * Masks for several score arrays at once: one ranking over all of them
 * (global) prunes the `k` smallest scores wherever they are, then the mask
 * is sliced back per array (as `global_unstructured`).
 *
 * @example pruneSmallestGlobal([[0.3, 0.01], [0.02, 0.5]], 2); // [[1, 0], [0, 1]]
 */
export function pruneSmallestGlobal(scores: readonly ArrayLike<number>[], k: number): Float32Array[] {
  const total = scores.reduce((a, s) => a + s.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const s of scores) {
    all.set(s as ArrayLike<number>, at);
    at += s.length;
  }
  const mask = pruneSmallest(all, k);
  at = 0;
  return scores.map((s) => {
    const m = mask.slice(at, at + s.length);
    at += s.length;
    return m;
  });
}

/**
 * Share of zeros in a mask or weight array.
 *
 * @example sparsityOf([0, 1, 0, 2]); // 0.5
 */
export function sparsityOf(values: ArrayLike<number>): number {
  if (values.length === 0) return 0;
  let zeros = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
  return zeros / values.length;
}
