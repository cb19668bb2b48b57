import type { Figure } from "../../plotting/figure";
import type { StudyView } from "../samplers/base";
import { axisTitle, completeTrials } from "./utils";

/**
 * Each COMPLETE trial's value by trial number, with the best value so far
 * (Optuna's plot_optimization_history).
 *
 * @example
 * showFigure(plotOptimizationHistory(study));
 */
export function plotOptimizationHistory(study: StudyView, options: { targetName?: string } = {}): Figure {
  const trials = completeTrials(study);
  const name = options.targetName ?? "Objective Value";
  const best: number[] = [];
  for (const t of trials) {
    const prev = best.at(-1);
    best.push(prev === undefined ? t.value! : study.direction === "minimize" ? Math.min(prev, t.value!) : Math.max(prev, t.value!));
  }
  return {
    data: [
      { type: "scatter", mode: "markers", name, x: trials.map((t) => t.number), y: trials.map((t) => t.value!) },
      { type: "scatter", mode: "lines", name: "Best Value", x: trials.map((t) => t.number), y: best },
    ],
    layout: { title: { text: "Optimization History Plot" }, xaxis: axisTitle("Trial"), yaxis: axisTitle(name) },
  };
}
