import { Random } from "../utils/random";

/**
 * Indices of a seeded, stratified hold-out split, as scikit-learn's
 * `train_test_split(stratify=labels)`: `fraction` of the rows in all
 * (rounded), each class contributing its share (largest remainders get the
 * leftover rows), and every class keeping at least one row on the larger
 * side. Both index lists keep the original order.
 *
 * @example stratifiedSplit([0, 0, 0, 0, 1, 1, 1, 1, 1, 1], 0.2, 42); // { kept: [...8 indices], heldOut: [one of class 0, one of class 1] }
 */
export function stratifiedSplit(labels: readonly number[], fraction: number, seed: number): { kept: number[]; heldOut: number[] } {
  if (!(typeof fraction === "number" && fraction > 0 && fraction < 1)) throw new Error(`stratifiedSplit: fraction must be a number in (0, 1), got ${fraction}`);
  const byClass = new Map<number, number[]>();
  labels.forEach((l, i) => {
    if (!byClass.has(l)) byClass.set(l, []);
    byClass.get(l)!.push(i);
  });
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const want = classes.map((c) => byClass.get(c)!.length * fraction);
  const take = want.map((w, k) => Math.min(Math.floor(w), byClass.get(classes[k])!.length - 1));
  let left = Math.round(labels.length * fraction) - take.reduce((a, b) => a + b, 0);
  // Leftover rows go to the largest fractional parts (lowest class id on ties), never emptying a class.
  const order = classes.map((_, k) => k).sort((a, b) => want[b] - Math.floor(want[b]) - (want[a] - Math.floor(want[a])) || classes[a] - classes[b]);
  for (const k of order) {
    if (left <= 0) break;
    if (take[k] < byClass.get(classes[k])!.length - 1) {
      take[k]++;
      left--;
    }
  }
  const rng = new Random(seed);
  const held = new Set<number>();
  classes.forEach((c, k) => {
    const rows = byClass.get(c)!;
    rng.permutation(rows.length).slice(0, take[k]).forEach((j) => held.add(rows[j]));
  });
  const kept: number[] = [];
  const heldOut: number[] = [];
  labels.forEach((_, i) => (held.has(i) ? heldOut : kept).push(i));
  return { kept, heldOut };
}
