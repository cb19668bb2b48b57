// Out-of-scope scores from a classifier's logits. Every score in lib/oos is
// "higher = more in scope", so one threshold rule (below it: out of scope)
// and one AUROC convention serve every detector.

/**
 * The largest softmax probability of a row (Hendrycks & Gimpel, 2017): the
 * chapter's rule, and the baseline every other detector is measured against.
 *
 * @example
 * maxSoftmaxScore([2, 0, 0]); // 0.7870…
 */
export function maxSoftmaxScore(logits: ArrayLike<number>): number {
  let max = -Infinity;
  for (let j = 0; j < logits.length; j++) if (logits[j] > max) max = logits[j];
  let sum = 0;
  for (let j = 0; j < logits.length; j++) sum += Math.exp(logits[j] - max);
  return 1 / sum;
}

/**
 * The negative free energy of a row (Liu et al., 2020):
 * `T · logsumexp(logits / T)`. Unlike the softmax maximum it keeps the
 * logits' scale, which separates in-scope from out-of-scope inputs better.
 *
 * @example
 * energyScore([2, 0, 0]); // 2.2395… (log(e² + 2))
 * energyScore([2, 0, 0], 2); // 2 · log(e + 2) = 3.1030…
 */
export function energyScore(logits: ArrayLike<number>, temperature = 1): number {
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new Error(`energyScore: temperature must be a positive number, got ${temperature}`);
  let max = -Infinity;
  for (let j = 0; j < logits.length; j++) if (logits[j] / temperature > max) max = logits[j] / temperature;
  let sum = 0;
  for (let j = 0; j < logits.length; j++) sum += Math.exp(logits[j] / temperature - max);
  return temperature * (max + Math.log(sum));
}
