import type { FrozenTrial } from "../frozenTrial";
import type { StudyView } from "../samplers/base";

/** COMPLETE trials with a value, and what to plot for each. */
export function completeTrials(study: StudyView): FrozenTrial[] {
  return study.getTrials({ states: ["COMPLETE"] }).filter((t) => t.value !== null) as FrozenTrial[];
}

/** Parameter names of the given trials (or the ones asked for, checked). */
export function paramNames(trials: readonly FrozenTrial[], wanted: string[] | undefined, where: string): string[] {
  const all = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort();
  if (!wanted) return all;
  for (const p of wanted) if (!all.includes(p)) throw new Error(`${where}: parameter "${p}" is not in the study (has ${all.join(", ") || "none"})`);
  return wanted;
}

export const axisTitle = (text: string) => ({ title: { text } });
