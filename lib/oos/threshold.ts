// Choosing a detector's threshold on labelled rows (validation, never test).

/** A threshold chosen on a tuning set. */
export interface TunedThreshold {
  /** Scores below it become out of scope; null: no fallback beats the plain prediction. */
  threshold: number | null;
  /** Accuracy (out-of-scope as a class) on the tuning set at that threshold. */
  accuracy: number;
  /** Accuracy with no fallback. */
  baselineAccuracy: number;
}

/**
 * The threshold on a detector's scores (higher = in scope) that maximises
 * accuracy with the out-of-scope class counted as a class: below it a
 * prediction becomes `oosId`. Every cut between two distinct scores is
 * tried (the midpoint is kept, so the threshold does not sit on a tuning
 * row). On a tie the highest threshold wins: where validation cannot tell
 * two thresholds apart, the fallback ("could you rephrase?") is preferred
 * to a possibly wrong intent. Validation accuracy is flat over wide ranges
 * (CLINC150's validation split has 100 out-of-scope rows), so this matters:
 * for the distilled student the tied thresholds run from 0.22 to 0.35.
 *
 * @example
 * tuneThreshold([0.9, 0.2, 0.8, 0.1], [0, 0, 1, 1], [0, 2, 1, 2], 2); // { threshold: 0.5, accuracy: 1, baselineAccuracy: 0.5 }
 */
export function tuneThreshold(scores: ArrayLike<number>, predictions: readonly number[], labels: readonly number[], oosId: number): TunedThreshold {
  const n = labels.length;
  if (n === 0 || scores.length !== n || predictions.length !== n) throw new Error(`tuneThreshold: ${scores.length} scores, ${predictions.length} predictions and ${n} labels (need the same non-zero count)`);
  for (let i = 0; i < n; i++) if (Number.isNaN(scores[i]) || scores[i] === Infinity) throw new Error(`tuneThreshold: score ${i} is ${scores[i]} (scores are finite, or −Infinity for rows already out of scope)`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  // Moving the cut past row i turns its prediction into oos: the gain is
  // +1 if that is now right, −1 if it was right before. No cut (−1) is the
  // baseline; a cut only counts when it is at least as good.
  let baseline = 0;
  for (let i = 0; i < n; i++) if (predictions[i] === labels[i]) baseline++;
  let correct = baseline, best = baseline, bestCut = -1;
  for (let r = 0; r < n; r++) {
    const i = order[r];
    correct += (labels[i] === oosId ? 1 : 0) - (predictions[i] === labels[i] ? 1 : 0);
    // Only cut between distinct scores.
    if (r + 1 < n && scores[order[r + 1]] === scores[i]) continue;
    if (correct >= best) {
      best = correct;
      bestCut = r;
    }
  }
  // A cut below every finite score changes nothing (−Infinity rows are out of scope already): no threshold.
  const below = bestCut < 0 ? -Infinity : scores[order[bestCut]];
  const threshold = below === -Infinity ? null : bestCut + 1 < n ? (below + scores[order[bestCut + 1]]) / 2 : below + Math.max(1e-6, Math.abs(below) * 1e-6);
  return { threshold, accuracy: best / n, baselineAccuracy: baseline / n };
}
