import type { Figure } from "../../plotting/figure";
import type { StudyView } from "../samplers/base";
import { completeTrials, paramNames } from "./utils";

/**
 * The objective over two parameters (Optuna's plot_contour for one pair):
 * a contour on the grid of the values tried (gaps connected, as Optuna does)
 * and the trials as points.
 *
 * @example
 * showFigure(plotContour(study, { params: ["x", "y"] }));
 */
export function plotContour(study: StudyView, options: { params?: [string, string]; targetName?: string } = {}): Figure {
  const trials = completeTrials(study);
  const all = paramNames(trials, options.params, "plotContour");
  if (all.length < 2) throw new Error(`plotContour: needs two parameters, the study has ${all.join(", ") || "none"}`);
  const [px, py] = options.params ?? [all[0], all[1]];
  const pts = trials.filter((t) => typeof t.params[px] === "number" && typeof t.params[py] === "number");
  const xs = [...new Set(pts.map((t) => t.params[px] as number))].sort((a, b) => a - b);
  const ys = [...new Set(pts.map((t) => t.params[py] as number))].sort((a, b) => a - b);
  const z: (number | null)[][] = ys.map(() => xs.map(() => null));
  for (const t of pts) z[ys.indexOf(t.params[py] as number)][xs.indexOf(t.params[px] as number)] = t.value!;
  const log = (p: string) => pts.at(-1)?.distributions[p]?.type !== "categorical" && (pts.at(-1)?.distributions[p] as { log?: boolean } | undefined)?.log;
  return {
    data: [
      { type: "contour", x: xs, y: ys, z: z as number[][], connectgaps: true, colorscale: "Blues", reversescale: study.direction === "minimize", contours: { coloring: "heatmap" }, colorbar: { title: { text: options.targetName ?? "Objective Value" } }, line: { smoothing: 1.3 } },
      { type: "scatter", mode: "markers", name: "Trials", x: pts.map((t) => t.params[px] as number), y: pts.map((t) => t.params[py] as number), marker: { color: "black", size: 4 }, showlegend: false },
    ],
    layout: { title: { text: "Contour Plot" }, xaxis: { title: { text: px }, ...(log(px) ? { type: "log" } : {}) }, yaxis: { title: { text: py }, ...(log(py) ? { type: "log" } : {}) } },
  };
}
