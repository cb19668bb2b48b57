import type { Figure } from "../../plotting/figure";
import type { StudyView } from "../samplers/base";
import { completeTrials, paramNames } from "./utils";

/**
 * One vertical axis per parameter plus the objective, one line per COMPLETE
 * trial coloured by its value (Optuna's plot_parallel_coordinate). Log
 * parameters are drawn on log10 axes; categoricals by choice index, labelled.
 *
 * @example
 * showFigure(plotParallelCoordinate(study, { params: ["x", "y"] }));
 */
export function plotParallelCoordinate(study: StudyView, options: { params?: string[]; targetName?: string } = {}): Figure {
  const trials = completeTrials(study);
  const names = paramNames(trials, options.params, "plotParallelCoordinate");
  const values = trials.map((t) => t.value!);
  const dims: Record<string, unknown>[] = [{ label: options.targetName ?? "Objective Value", values, range: [Math.min(...values), Math.max(...values)] }];
  for (const n of names) {
    const withP = trials.filter((t) => n in t.params);
    if (withP.length !== trials.length) continue; // Optuna skips parameters some trials lack
    const d = withP[withP.length - 1].distributions[n];
    if (d.type === "categorical") {
      const labels = d.choices.map((c) => String(c));
      dims.push({ label: n, values: withP.map((t) => d.choices.indexOf(t.params[n] as never)), tickvals: labels.map((_, i) => i), ticktext: labels, range: [0, labels.length - 1] });
    } else if (d.log) {
      const v = withP.map((t) => Math.log10(t.params[n] as number));
      const lo = Math.floor(Math.min(...v));
      const hi = Math.ceil(Math.max(...v));
      const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
      dims.push({ label: n, values: v, range: [Math.min(...v), Math.max(...v)], tickvals: ticks, ticktext: ticks.map((k) => `1e${k}`) });
    } else {
      const v = withP.map((t) => t.params[n] as number);
      dims.push({ label: n, values: v, range: [Math.min(...v), Math.max(...v)] });
    }
  }
  return {
    data: [{ type: "parcoords", dimensions: dims, line: { color: values, colorscale: "Blues", reversescale: study.direction === "minimize", showscale: true, colorbar: { title: { text: options.targetName ?? "Objective Value" } } } }],
    layout: { title: { text: "Parallel Coordinate Plot" } },
  };
}
