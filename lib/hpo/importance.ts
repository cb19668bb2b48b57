// Hyperparameter importance: fANOVA (Hutter et al. 2014) on a random forest,
// as Optuna 3.1's default FanovaImportanceEvaluator (64 trees, depth ≤ 64,
// bootstrap samples, every feature considered at each split).
import type { Distribution } from "./distributions";
import { toInternal } from "./distributions";
import type { FrozenTrial } from "./frozenTrial";
import type { StudyView } from "./samplers/base";
import { Random } from "../utils/random";

interface Tree {
  feature: number[]; // -1 at a leaf
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

/** A CART regression tree (variance reduction, thresholds midway between distinct values). */
function fitTree(X: number[][], y: number[], rows: number[], maxDepth: number): Tree {
  const t: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const nf = X[0]?.length ?? 0;
  const grow = (idx: number[], depth: number): number => {
    const node = t.feature.length;
    const mean = idx.reduce((a, i) => a + y[i], 0) / idx.length;
    t.feature.push(-1);
    t.threshold.push(0);
    t.left.push(-1);
    t.right.push(-1);
    t.value.push(mean);
    if (idx.length < 2 || depth >= maxDepth || idx.every((i) => y[i] === y[idx[0]])) return node;
    let best = { gain: 1e-12, f: -1, thr: 0 };
    const total = idx.reduce((a, i) => a + y[i], 0);
    const totalSq = idx.reduce((a, i) => a + y[i] * y[i], 0);
    const sse0 = totalSq - (total * total) / idx.length;
    for (let f = 0; f < nf; f++) {
      const sorted = [...idx].sort((a, b) => X[a][f] - X[b][f]);
      let s = 0;
      let sq = 0;
      for (let k = 0; k < sorted.length - 1; k++) {
        const v = y[sorted[k]];
        s += v;
        sq += v * v;
        const a = X[sorted[k]][f];
        const b = X[sorted[k + 1]][f];
        if (a === b) continue;
        const nl = k + 1;
        const nr = sorted.length - nl;
        const sse = sq - (s * s) / nl + (totalSq - sq) - ((total - s) * (total - s)) / nr;
        const gain = sse0 - sse;
        if (gain > best.gain) best = { gain, f, thr: 0.5 * (a + b) };
      }
    }
    if (best.f < 0) return node;
    const l = idx.filter((i) => X[i][best.f] <= best.thr);
    const r = idx.filter((i) => X[i][best.f] > best.thr);
    t.feature[node] = best.f;
    t.threshold[node] = best.thr;
    t.left[node] = grow(l, depth + 1);
    t.right[node] = grow(r, depth + 1);
    return node;
  };
  grow(rows, 0);
  return t;
}

/** The leaves of a tree as boxes [lo, hi) per feature, with their values. */
function leaves(t: Tree, bounds: [number, number][]): { box: [number, number][]; value: number }[] {
  const out: { box: [number, number][]; value: number }[] = [];
  const walk = (node: number, box: [number, number][]) => {
    const f = t.feature[node];
    if (f < 0) return void out.push({ box, value: t.value[node] });
    const thr = Math.min(Math.max(t.threshold[node], box[f][0]), box[f][1]);
    walk(t.left[node], box.map((b, i) => (i === f ? [b[0], thr] : b)) as [number, number][]);
    walk(t.right[node], box.map((b, i) => (i === f ? [thr, b[1]] : b)) as [number, number][]);
  };
  walk(0, bounds);
  return out;
}

const volume = (box: [number, number][], skip = -1) => box.reduce((v, [a, b], i) => (i === skip ? v : v * (b - a)), 1);

/** Per tree: (variance of the feature's marginal, total variance), under the uniform measure on the bounds. */
function treeVariances(t: Tree, bounds: [number, number][]): { total: number; marginal: number[] } {
  const ls = leaves(t, bounds);
  const V = volume(bounds);
  const mean = ls.reduce((a, l) => a + (l.value * volume(l.box)) / V, 0);
  const total = ls.reduce((a, l) => a + ((l.value - mean) ** 2 * volume(l.box)) / V, 0);
  const marginal = bounds.map(([lo, hi], f) => {
    // The marginal over feature f is constant between consecutive split points of f.
    const cuts = [...new Set([lo, hi, ...ls.flatMap((l) => l.box[f])])].sort((a, b) => a - b);
    const others = V / (hi - lo);
    let m = 0;
    const parts: [number, number][] = []; // (width, marginal value)
    for (let k = 0; k < cuts.length - 1; k++) {
      const mid = 0.5 * (cuts[k] + cuts[k + 1]);
      let v = 0;
      for (const l of ls) if (l.box[f][0] <= mid && mid < l.box[f][1]) v += (l.value * volume(l.box, f)) / others;
      parts.push([cuts[k + 1] - cuts[k], v]);
      m += ((cuts[k + 1] - cuts[k]) / (hi - lo)) * v;
    }
    return parts.reduce((a, [w, v]) => a + (w / (hi - lo)) * (v - m) ** 2, 0);
  });
  return { total, marginal };
}

export interface ImportanceOptions {
  /** Parameters to assess (default: those every COMPLETE trial has). */
  params?: string[];
  /** What to explain (default: the trial's value). */
  target?: (t: FrozenTrial) => number;
  nTrees?: number;
  maxDepth?: number;
  seed?: number;
}

/**
 * Each parameter's share of the objective's variance (Optuna's
 * get_param_importances with its default evaluator): a random forest is
 * fitted to the COMPLETE trials (raw parameter values; a categorical as its
 * choice index, each choice a unit-wide cell), and fANOVA's first-order
 * marginal variance of each parameter over its range, divided by the tree's
 * total variance, is averaged over the trees whose bootstrap sample has any
 * (Optuna skips the others, and fails when none has); the shares are
 * normalised to sum to 1 and sorted, largest first.
 *
 * @example
 * getParamImportances(study); // { y: 0.81, x: 0.19 }
 */
export function getParamImportances(study: StudyView, options: ImportanceOptions = {}): Record<string, number> {
  for (const k of Object.keys(options)) if (!["params", "target", "nTrees", "maxDepth", "seed"].includes(k)) throw new Error(`getParamImportances: unknown option "${k}"`);
  const complete = study.getTrials({ states: ["COMPLETE"] });
  if (complete.length === 0) throw new Error("getParamImportances: the study has no COMPLETE trial");
  const names = options.params ?? Object.keys(complete[0].params).filter((n) => complete.every((t) => n in t.params)).sort();
  for (const n of names) if (!complete.every((t) => n in t.params)) throw new Error(`getParamImportances: parameter "${n}" is missing from some COMPLETE trials`);
  const trials = complete;
  const dists: Distribution[] = names.map((n) => trials[trials.length - 1].distributions[n]);
  const bounds: [number, number][] = dists.map((d) => (d.type === "categorical" ? [0, d.choices.length] : [d.low, d.high]));
  const active = names.map((_, i) => bounds[i][1] > bounds[i][0]);
  const X = trials.map((t) => names.map((n, i) => (dists[i].type === "categorical" ? toInternal(dists[i], t.params[n]) + 0.5 : (t.params[n] as number))));
  const target = options.target ?? ((t: FrozenTrial) => t.value as number);
  const y = trials.map(target);
  if (y.some((v) => !Number.isFinite(v))) throw new Error("getParamImportances: the target must be finite for every COMPLETE trial");
  const rng = new Random(options.seed ?? 0);
  const sums = names.map(() => 0);
  let used = 0;
  for (let k = 0; k < (options.nTrees ?? 64); k++) {
    const rows = trials.map(() => rng.int(trials.length));
    const tree = fitTree(X, y, rows, options.maxDepth ?? 64);
    const { total, marginal } = treeVariances(tree, bounds);
    if (!(total > 0)) continue;
    used++;
    marginal.forEach((v, i) => (sums[i] += active[i] ? Math.max(v, 0) / total : 0));
  }
  if (used === 0) throw new Error(`getParamImportances: the target has no variance in any of the ${options.nTrees ?? 64} trees (constant over the ${trials.length} COMPLETE trials' bootstrap samples), so no importance can be assessed`);
  const z = sums.reduce((a, b) => a + b, 0); // the mean over the trees with variance, normalised (dividing by used first would cancel)
  const out = names.map((n, i) => [n, z > 0 ? sums[i] / z : 0] as const).sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(out);
}
