import type { Figure, Trace } from "../../plotting/figure";
import type { StudyView } from "../samplers/base";
import { rosenbrock } from "../rosenbrock";

/**
 * The Rosenbrock function over [-2, 2]² as filled contours of log10 f (so
 * the levels are log-spaced and the flat valley shows), its minimum (1, 1)
 * marked, and optionally a study's trials and best point drawn on it. The
 * grid is 61×61 by default (plotly interpolates the contours; a denser grid only
 * makes the notebook bigger).
 *
 * @example
 * showFigure(plotRosenbrockContour({ study }));
 */
export function plotRosenbrockContour(options: { study?: StudyView; gridSize?: number } = {}): Figure {
  const n = options.gridSize ?? 61;
  if (!Number.isInteger(n) || n < 2 || n > 401) throw new Error(`plotRosenbrockContour: gridSize must be a whole number in [2, 401], got ${n}`);
  const xs = Array.from({ length: n }, (_, i) => -2 + (4 * i) / (n - 1));
  const z = xs.map((y) => xs.map((x) => Math.log10(rosenbrock(x, y) + 1e-3)));
  const data: Trace[] = [
    { type: "contour", x: xs, y: xs, z, colorscale: "Viridis", contours: { start: -1, end: 3.5, size: 0.5 }, colorbar: { title: { text: "log10 f" } }, name: "log10 f(x, y)" },
    { type: "scatter", mode: "markers", name: "minimum (1, 1)", x: [1], y: [1], marker: { symbol: "star", size: 16, color: "#d62728" } },
  ];
  const study = options.study;
  if (study) {
    const done = study.getTrials({ states: ["COMPLETE"] }).filter((t) => typeof t.params.x === "number" && typeof t.params.y === "number");
    data.push({ type: "scatter", mode: "markers", name: "trials", x: done.map((t) => t.params.x as number), y: done.map((t) => t.params.y as number), marker: { size: 4, color: "white", line: { width: 0.5, color: "black" } } });
    if (done.length) {
      const best = done.reduce((a, b) => ((study.direction === "minimize" ? b.value! < a.value! : b.value! > a.value!) ? b : a));
      data.push({ type: "scatter", mode: "markers", name: `best (${(best.params.x as number).toFixed(3)}, ${(best.params.y as number).toFixed(3)}), f = ${best.value!.toPrecision(3)}`, x: [best.params.x as number], y: [best.params.y as number], marker: { symbol: "x", size: 12, color: "#ff7f0e" } });
    }
  }
  return { data, layout: { title: { text: "Rosenbrock function, log10 f" }, xaxis: { title: { text: "x" }, range: [-2, 2] }, yaxis: { title: { text: "y" }, range: [-2, 2] } } };
}

/**
 * Best value after each trial (running minimum of the COMPLETE values; FAIL/PRUNED repeat the last best).
 *
 * @example
 * await study.optimize(rosenbrockObjective, { nTrials: 30 });
 * bestSoFar(study); // e.g. [361.5…, 139.3…, 139.3…, 139.3…, 3.008…, …]: 30 values, never increasing
 */
export function bestSoFar(study: StudyView): number[] {
  const out: number[] = [];
  let best = study.direction === "minimize" ? Infinity : -Infinity;
  for (const t of study.getTrials()) {
    if (t.state === "COMPLETE" && t.value !== null) best = study.direction === "minimize" ? Math.min(best, t.value) : Math.max(best, t.value);
    out.push(best);
  }
  return out;
}

/**
 * Best-so-far curves of several samplers (e.g. TPE vs random search), each
 * the median over seeds, on a log y axis.
 *
 * @example
 * showFigure(plotBestSoFar({ TPE: tpeStudies.map(bestSoFar), Random: randomStudies.map(bestSoFar) }));
 */
export function plotBestSoFar(curves: Record<string, number[][]>, options: { title?: string; log?: boolean } = {}): Figure {
  const data: Trace[] = Object.entries(curves).map(([name, runs]) => {
    if (!runs.length) throw new Error(`plotBestSoFar: no runs for "${name}"`);
    const len = Math.min(...runs.map((r) => r.length));
    const median = Array.from({ length: len }, (_, i) => {
      const v = runs.map((r) => r[i]).sort((a, b) => a - b);
      return v.length % 2 ? v[(v.length - 1) / 2] : 0.5 * (v[v.length / 2 - 1] + v[v.length / 2]);
    });
    return { type: "scatter", mode: "lines", name: `${name} (median of ${runs.length})`, x: median.map((_, i) => i + 1), y: median };
  });
  return { data, layout: { title: { text: options.title ?? "Best value so far" }, xaxis: { title: { text: "Trial" } }, yaxis: { title: { text: "Best value" }, ...(options.log ?? true ? { type: "log" } : {}) } } };
}
