import type { Figure } from "../../plotting/figure";
import type { StudyView } from "../samplers/base";
import { ImportanceOptions, getParamImportances } from "../importance";

/**
 * Horizontal bars of each parameter's importance (Optuna's
 * plot_param_importances): fANOVA on a random forest, see getParamImportances.
 *
 * @example
 * showFigure(plotParamImportances(study));
 */
export function plotParamImportances(study: StudyView, options: ImportanceOptions & { targetName?: string } = {}): Figure {
  const { targetName = "Objective Value", ...rest } = options;
  const imp = getParamImportances(study, rest);
  const names = Object.keys(imp).reverse(); // the most important on top
  return {
    data: [{ type: "bar", orientation: "h", x: names.map((n) => imp[n]), y: names as unknown as number[], text: names.map((n) => imp[n].toFixed(2)), textposition: "outside", name: "importance" }],
    layout: { title: { text: "Hyperparameter Importances" }, xaxis: { title: { text: `Importance for ${targetName}` } }, yaxis: { title: { text: "Hyperparameter" } }, showlegend: false },
  };
}
