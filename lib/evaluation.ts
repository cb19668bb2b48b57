/** Accuracy figures for intent detection with an out-of-scope class. */
export interface IntentReport {
  /** Accuracy on all rows (oos counts as a class), the chapter's metric. */
  accuracy: number;
  /** Accuracy on rows whose true label is not oos; null when the labels have no oos class (not applicable). */
  inScopeAccuracy: number | null;
  /** Share of true-oos rows predicted oos; null when the labels have no oos class (not applicable). */
  oosRecall: number | null;
  n: number;
}

/**
 * Index of the largest value of a row (the first one on a tie).
 *
 * @example
 * argmax([0.1, 2.3, -1]); // 1
 */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
  return best;
}

/**
 * Accuracy, in-scope accuracy and oos recall from logits rows (or predicted
 * ids) and true ids. Without an oos class (`oosId` undefined) the last two
 * are null: not applicable, never a false 0.
 *
 * @example
 * const test = await trainer.predict(encodedTest);
 * intentReport(test.predictions, test.labelIds, clinc.test.features.intent.str2int("oos")); // { accuracy, inScopeAccuracy, oosRecall, n }
 * intentReport([[0.1, 2.3, -1], 2, [3, 0, 0], 1], [1, 2, 0, 2], 2); // { accuracy: 0.75, inScopeAccuracy: 1, oosRecall: 0.5, n: 4 }
 */
export function intentReport(predictions: readonly (ArrayLike<number> | number)[], labels: readonly number[], oosId: number | undefined): IntentReport {
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
  const applicable = oosId !== undefined && oosId >= 0;
  return {
    accuracy: correct / Math.max(1, labels.length),
    inScopeAccuracy: applicable ? inScopeCorrect / Math.max(1, inScope) : null,
    oosRecall: applicable ? (oos ? oosCorrect / oos : null) : null,
    n: labels.length,
  };
}
