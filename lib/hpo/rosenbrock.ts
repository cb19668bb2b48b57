// The chapter's toy problem: Rosenbrock's banana function, whose minimum
// f(1, 1) = 0 lies in a long, flat, curved valley.
import type { Trial } from "./trial";

/**
 * f(x, y) = (1 - x)² + 100 (y - x²)².
 *
 * @example
 * rosenbrock(1, 1); // 0
 * rosenbrock(0, 0); // 1
 */
export function rosenbrock(x: number, y: number): number {
  return (1 - x) ** 2 + 100 * (y - x * x) ** 2;
}

/**
 * The objective of the chapter's demo: x and y uniform in [-2, 2].
 *
 * @example
 * await study.optimize(rosenbrockObjective, { nTrials: 100 });
 */
export function rosenbrockObjective(trial: Trial): number {
  const x = trial.suggestFloat("x", -2, 2);
  const y = trial.suggestFloat("y", -2, 2);
  return rosenbrock(x, y);
}
