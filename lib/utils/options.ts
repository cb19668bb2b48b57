// Unknown option keys are an error with a did-you-mean, so a misspelt or
// snake_case option (`learning_rate`, `top_k`) never falls back to a default
// silently.

/** Edit distance with adjacent transpositions counted once (optimal string alignment): "quite" is 1 from "quiet". */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
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
  return best !== undefined && bestD <= (k.length <= 4 ? 1 : 2) ? best : undefined;
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
