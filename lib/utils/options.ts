// Unknown option keys are an error with a did-you-mean, so a misspelt or
// snake_case option (`learning_rate`, `top_k`) never falls back to a default
// silently.

/** Levenshtein distance (small strings: option names). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** Lowercase without separators: `learning_rate`, `learning-rate` and `learningRate` compare equal. */
const squash = (s: string) => s.replace(/[_\-\s]/g, "").toLowerCase();

/**
 * The known name closest to `key`: the same name in another casing
 * (snake_case → camelCase), else one within a couple of typos.
 *
 * @example didYouMean("learning_rate", ["learningRate", "seed"]); // "learningRate"
 */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  const k = squash(key);
  const same = known.find((n) => squash(n) === k);
  if (same) return same;
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of known) {
    const d = editDistance(k, squash(n));
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(k.length / 4)) ? best : undefined;
}

/**
 * Throws on keys of `options` that are not in `known`, naming the key, the
 * closest known name and the accepted ones.
 *
 * @example
 * checkOptionKeys({ top_k: 3 }, ["topK", "batchSize"], "text-classification pipeline");
 * // Error: text-classification pipeline: unknown option "top_k" (did you mean "topK"?); known options: topK, batchSize
 */
export function checkOptionKeys(options: object | undefined | null, known: readonly string[], where: string, what = "option"): void {
  if (options === undefined || options === null) return;
  if (typeof options !== "object" || Array.isArray(options)) throw new Error(`${where}: ${what}s must be an object, got ${Array.isArray(options) ? "an array" : typeof options}`);
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const hint = didYouMean(key, known);
    throw new Error(`${where}: unknown ${what} "${key}"${hint ? ` (did you mean "${hint}"?)` : ""}; known ${what}s: ${known.join(", ")}`);
  }
}
