/** Accuracy figures for intent detection with an out-of-scope class. */
export interface IntentReport {
  /** Accuracy on all rows (oos counts as a class), the chapter's metric. */
  accuracy: number;
  /** Accuracy on rows whose true label is not oos. */
  inScopeAccuracy: number;
  /** Share of true-oos rows predicted oos. */
  oosRecall: number;
  n: number;
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
  return best;
}

/**
 * Accuracy, in-scope accuracy and oos recall from logits rows (or predicted
 * ids) and true ids.
 */
export function intentReport(predictions: readonly (ArrayLike<number> | number)[], labels: readonly number[], oosId: number): IntentReport {
  if (predictions.length !== labels.length) throw new Error(`intentReport: ${predictions.length} predictions for ${labels.length} labels`);
  let correct = 0, inScope = 0, inScopeCorrect = 0, oos = 0, oosCorrect = 0;
  predictions.forEach((p, i) => {
    const pred = typeof p === "number" ? p : argmax(p);
    const ok = pred === labels[i];
    if (ok) correct++;
    if (labels[i] === oosId) {
      oos++;
      if (ok) oosCorrect++;
    } else {
      inScope++;
      if (ok) inScopeCorrect++;
    }
  });
  return { accuracy: correct / Math.max(1, labels.length), inScopeAccuracy: inScopeCorrect / Math.max(1, inScope), oosRecall: oosCorrect / Math.max(1, oos), n: labels.length };
}
