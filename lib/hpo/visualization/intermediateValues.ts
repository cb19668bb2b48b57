import type { Figure, Trace } from "../../plotting/figure";
import type { StudyView } from "../samplers/base";
import { axisTitle } from "./utils";

/**
 * The learning curve of every trial that reported intermediate values
 * (Optuna's plot_intermediate_values): pruned trials stop early.
 *
 * @example
 * showFigure(plotIntermediateValues(study));
 */
export function plotIntermediateValues(study: StudyView): Figure {
  const data: Trace[] = study
    .getTrials()
    .filter((t) => Object.keys(t.intermediateValues).length > 0)
    .map((t) => {
      const steps = Object.keys(t.intermediateValues).map(Number).sort((a, b) => a - b);
      return { type: "scatter", mode: "lines+markers", name: `Trial${t.number}`, x: steps, y: steps.map((s) => t.intermediateValues[s]), marker: { size: 5 }, showlegend: false };
    });
  return { data, layout: { title: { text: "Intermediate Values Plot" }, xaxis: axisTitle("Step"), yaxis: axisTitle("Intermediate Value"), showlegend: false } };
}
