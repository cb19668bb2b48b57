// Threshold-free measures of an out-of-scope detector: how well its score
// ranks in-scope queries above out-of-scope ones, whatever threshold is
// later chosen. In-scope is the positive class (as in Liang et al., 2018).

function checkScores(inScope: ArrayLike<number>, outOfScope: ArrayLike<number>, where: string): void {
  if (inScope.length === 0 || outOfScope.length === 0) throw new Error(`${where}: needs in-scope and out-of-scope scores (got ${inScope.length} and ${outOfScope.length})`);
  for (const [name, xs] of [["in-scope", inScope], ["out-of-scope", outOfScope]] as const) {
    for (let i = 0; i < xs.length; i++) if (Number.isNaN(xs[i])) throw new Error(`${where}: ${name} score ${i} is NaN`);
  }
}

/**
 * Area under the ROC curve: the probability that an in-scope query scores
 * higher than an out-of-scope one (ties count half), as scikit-learn's
 * `roc_auc_score` with in-scope labelled 1. 0.5 is chance, 1 is perfect.
 *
 * @example
 * auroc([0.9, 0.8, 0.3], [0.1, 0.4]); // 0.8333… (5 of 6 pairs ordered)
 */
export function auroc(inScope: ArrayLike<number>, outOfScope: ArrayLike<number>): number {
  checkScores(inScope, outOfScope, "auroc");
  // Mann–Whitney U from ranks (average ranks for ties): O(n log n).
  const all = [...Array.from(inScope, (s) => ({ s, pos: 1 })), ...Array.from(outOfScope, (s) => ({ s, pos: 0 }))].sort((a, b) => a.s - b.s);
  let rankSumPos = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].s === all[i].s) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (all[k].pos) rankSumPos += avgRank;
    i = j + 1;
  }
  const nPos = inScope.length, nNeg = outOfScope.length;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * False-positive rate at a true-positive rate: the share of out-of-scope
 * queries still taken as in scope when the threshold keeps `tpr` (default
 * 95%) of in-scope queries, "FPR95". The threshold is the highest one whose
 * in-scope recall reaches `tpr` (scikit-learn's `roc_curve` points, read at
 * the first point with TPR ≥ tpr). Lower is better.
 *
 * @example
 * fprAtTpr([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], [0.5, 1.5, 30]); // 0.6667 (threshold 2 keeps 19 of 20; 1.5 is below it, 30 is not)
 */
export function fprAtTpr(inScope: ArrayLike<number>, outOfScope: ArrayLike<number>, tpr = 0.95): number {
  checkScores(inScope, outOfScope, "fprAtTpr");
  if (!(tpr > 0 && tpr <= 1)) throw new Error(`fprAtTpr: tpr must be in (0, 1], got ${tpr}`);
  const sorted = Float64Array.from(inScope).sort().reverse();
  // The k-th highest in-scope score keeps k of them (ties included: ≥).
  const k = Math.ceil(tpr * sorted.length - 1e-9);
  const threshold = sorted[k - 1];
  let fp = 0;
  for (let i = 0; i < outOfScope.length; i++) if (outOfScope[i] >= threshold) fp++;
  return fp / outOfScope.length;
}

/** How a detector separates in-scope from out-of-scope queries, threshold-free. */
export interface OosRanking {
  auroc: number;
  /** Share of out-of-scope queries taken as in scope at 95% in-scope recall. */
  fpr95: number;
}

/**
 * AUROC and FPR95 of scores (higher = in scope) against true labels.
 *
 * @example
 * oosRanking([0.9, 0.2, 0.8, 0.1], [0, 2, 1, 2], 2); // { auroc: 1, fpr95: 0 }
 */
export function oosRanking(scores: ArrayLike<number>, labels: readonly number[], oosId: number): OosRanking {
  if (scores.length !== labels.length) throw new Error(`oosRanking: ${scores.length} scores for ${labels.length} labels`);
  const inScope: number[] = [], outOfScope: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === oosId ? outOfScope : inScope).push(scores[i]);
  return { auroc: auroc(inScope, outOfScope), fpr95: fprAtTpr(inScope, outOfScope, 0.95) };
}

/**
 * The ROC curve of scores (in-scope positive): false- and true-positive
 * rates at every threshold, from (0, 0) to (1, 1), thinned to at most
 * `maxPoints` points for a chart (the curve's corners are kept where it
 * turns most).
 *
 * @example
 * rocCurve([0.9, 0.8, 0.3], [0.1, 0.4]); // { fpr: [0, 0, 0, 0.5, 0.5, 1], tpr: [0, 0.333…, 0.667, 0.667, 1, 1] }
 */
export function rocCurve(inScope: ArrayLike<number>, outOfScope: ArrayLike<number>, maxPoints = 200): { fpr: number[]; tpr: number[] } {
  checkScores(inScope, outOfScope, "rocCurve");
  const all = [...Array.from(inScope, (s) => ({ s, pos: 1 })), ...Array.from(outOfScope, (s) => ({ s, pos: 0 }))].sort((a, b) => b.s - a.s);
  const fpr = [0], tpr = [0];
  let tp = 0, fp = 0;
  for (let i = 0; i < all.length; i++) {
    if (all[i].pos) tp++;
    else fp++;
    // One point per distinct score (tied rows move together).
    if (i + 1 < all.length && all[i + 1].s === all[i].s) continue;
    fpr.push(fp / outOfScope.length);
    tpr.push(tp / inScope.length);
  }
  if (fpr.length <= maxPoints) return { fpr, tpr };
  const step = (fpr.length - 1) / (maxPoints - 1);
  const keep = Array.from({ length: maxPoints }, (_, k) => Math.round(k * step));
  return { fpr: keep.map((i) => fpr[i]), tpr: keep.map((i) => tpr[i]) };
}
