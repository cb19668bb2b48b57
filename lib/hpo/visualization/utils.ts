import type { FrozenTrial } from "../frozenTrial";
import type { StudyView } from "../samplers/base";

/**
 * COMPLETE trials with a value, and what to plot for each.
 *
 * @example
 * completeTrials(study).map((t) => t.value); // the COMPLETE trials' values, in trial order
 */
export function completeTrials(study: StudyView): FrozenTrial[] {
  return study.getTrials({ states: ["COMPLETE"] }).filter((t) => t.value !== null) as FrozenTrial[];
}

/**
 * Parameter names of the given trials (or the ones asked for, checked).
 *
 * @example
 * paramNames(completeTrials(study), undefined, "plotSlice"); // ["x", "y"]: every parameter, sorted
 * paramNames(completeTrials(study), ["z"], "plotContour"); // throws: plotContour: parameter "z" is not in the study (has x, y)
 */
export function paramNames(trials: readonly FrozenTrial[], wanted: string[] | undefined, where: string): string[] {
  const all = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort();
  if (!wanted) return all;
  for (const p of wanted) if (!all.includes(p)) throw new Error(`${where}: parameter "${p}" is not in the study (has ${all.join(", ") || "none"})`);
  return wanted;
}

/**
 * A Plotly axis with a title, `{ title: { text } }`.
 *
 * @example
 * axisTitle("Step"); // { title: { text: "Step" } }
 * const layout = { xaxis: axisTitle("Trial"), yaxis: axisTitle("Objective Value") };
 */
export const axisTitle = (text: string) => ({ title: { text } });
