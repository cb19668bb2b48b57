/** The threshold search behind the pipeline's out-of-scope fallback. */
export interface OosThresholdResult {
  threshold: number;
  /** Accuracy (oos as a class) on the tuning set at that threshold. */
  accuracy: number;
  /** Accuracy with no fallback, for comparison. */
  baselineAccuracy: number;
}

function softmaxRow(row: ArrayLike<number>): { best: number; score: number } {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
  let sum = 0;
  for (let j = 0; j < row.length; j++) sum += Math.exp(row[j] - row[best]);
  return { best, score: 1 / sum };
}

/**
 * Picks the confidence threshold below which a prediction becomes `oos`,
 * maximising accuracy on a validation set (never the test set).
 *
 * @example
 * const { predictions, labelIds } = await trainer.predict(validation);
 * tuneOosThreshold(predictions, labelIds, oosId); // { threshold: 0.42, accuracy: 0.9, … }
 */
export function tuneOosThreshold(logits: readonly ArrayLike<number>[], labels: readonly number[], oosId: number, grid = 100): OosThresholdResult {
  if (logits.length === 0 || logits.length !== labels.length) throw new Error(`tuneOosThreshold: ${logits.length} logit rows for ${labels.length} labels`);
  const rows = logits.map(softmaxRow);
  const accuracyAt = (t: number) => rows.reduce((acc, r, i) => acc + (((r.score < t ? oosId : r.best) === labels[i]) ? 1 : 0), 0) / rows.length;
  let best = { threshold: 0, accuracy: accuracyAt(0) };
  for (let k = 1; k < grid; k++) {
    const t = k / grid;
    const a = accuracyAt(t);
    if (a > best.accuracy) best = { threshold: t, accuracy: a };
  }
  return { ...best, baselineAccuracy: accuracyAt(0) };
}
