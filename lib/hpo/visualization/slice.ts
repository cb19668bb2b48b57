import type { Figure, Trace } from "../../plotting/figure";
import type { StudyView } from "../samplers/base";
import { completeTrials, paramNames } from "./utils";

/**
 * The objective against each parameter, one panel per parameter, points
 * coloured by trial number (Optuna's plot_slice).
 *
 * @example
 * showFigure(plotSlice(study));
 */
export function plotSlice(study: StudyView, options: { params?: string[]; targetName?: string } = {}): Figure {
  const trials = completeTrials(study);
  const names = paramNames(trials, options.params, "plotSlice");
  const layout: Record<string, any> = { title: { text: "Slice Plot" }, showlegend: false };
  const gap = 0.04;
  const w = (1 - gap * (names.length - 1)) / Math.max(names.length, 1);
  const data: Trace[] = names.map((n, i) => {
    const withP = trials.filter((t) => n in t.params);
    const d = withP.at(-1)?.distributions[n];
    const key = i === 0 ? "" : String(i + 1);
    layout[`xaxis${key}`] = { title: { text: n }, domain: [i * (w + gap), i * (w + gap) + w], ...(d && d.type !== "categorical" && d.log ? { type: "log" } : {}) };
    if (i === 0) layout.yaxis = { title: { text: options.targetName ?? "Objective Value" } };
    return {
      type: "scatter",
      mode: "markers",
      name: n,
      x: withP.map((t) => t.params[n]) as number[] | string[],
      y: withP.map((t) => t.value!),
      xaxis: `x${key}`,
      yaxis: "y",
      marker: { color: withP.map((t) => t.number), colorscale: "Blues", size: 7, line: { width: 0.5, color: "Grey" }, ...(i === names.length - 1 ? { showscale: true, colorbar: { title: { text: "Trial" } } } : {}) },
    };
  });
  return { data, layout };
}
