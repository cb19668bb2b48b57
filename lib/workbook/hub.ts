import * as fs from "node:fs";
import * as path from "node:path";
import { staleModelReason } from "./data";
import { logger } from "../utils/log";

/**
 * The project's "hub": HF-layout model folders trained by this project and shipped in data/models/.
 *
 * @example
 * fs.readdirSync(MODELS_DIR); // ["bert-clinc-teacher", "bow-clinc", "distilbert-clinc", "distilbert-clinc-distilled", …]
 */
export const MODELS_DIR = path.resolve(__dirname, "..", "..", "data", "models");

/**
 * The chapter's teacher, `transformersbook/bert-base-uncased-finetuned-clinc` here.
 *
 * @example
 * const teacher = AutoModelForSequenceClassification.fromPretrained(TEACHER_CHECKPOINT); // a BertForSequenceClassification, 151 labels
 */
export const TEACHER_CHECKPOINT = path.join(MODELS_DIR, "bert-clinc-teacher");

/**
 * Path of a shipped model folder, with a clear error when it is missing.
 *
 * @example
 * modelPath("distilbert-clinc-distilled"); // "…/data/models/distilbert-clinc-distilled"
 * modelPath("no-such-model"); // Error: Model "no-such-model" not found at … (shipped models: bert-clinc-teacher, bow-clinc, …)
 */
export function modelPath(name: string): string {
  const dir = path.isAbsolute(name) ? name : path.join(MODELS_DIR, name);
  if (!fs.existsSync(path.join(dir, "config.json"))) {
    const have = fs.existsSync(MODELS_DIR) ? fs.readdirSync(MODELS_DIR).join(", ") : "none";
    throw new Error(`Model "${name}" not found at ${dir} (shipped models: ${have}). Train it with the npm scripts in the README.`);
  }
  return dir;
}

/**
 * Where notebooks and scripts write what is not committed (exports, executed notebooks, reports).
 *
 * @example
 * writeWorkbookReport(OUTPUTS_DIR, run); // outputs/perf_metrics.json, .md, .html, .png
 */
export const OUTPUTS_DIR = path.resolve(__dirname, "..", "..", "outputs");

/**
 * The folder a notebook reads model `name` from: for your own data
 * (WORKBOOK_DATA) the one trained for it under outputs/<data>/models/; under
 * WORKBOOK_PROFILE=full the copy an earlier notebook retrained into
 * outputs/models/ when there is one; otherwise the shipped checkpoint.
 *
 * @example
 * profileModelPath("bert-clinc-teacher"); // "…/data/models/bert-clinc-teacher" in the default profile
 * profileModelPath("bert-clinc-teacher", "full"); // "…/outputs/models/bert-clinc-teacher" once notebook 01 has retrained it
 */
export function profileModelPath(name: string, profileName = process.env.WORKBOOK_PROFILE ?? "default"): string {
  const own = process.env.WORKBOOK_DATA;
  if (own) {
    const dir = path.join(OUTPUTS_DIR, path.basename(path.resolve(own)), "models", name);
    if (!fs.existsSync(path.join(dir, "config.json"))) throw new Error(`Model "${name}" has not been trained for WORKBOOK_DATA=${own} yet (${dir}); run the notebooks in order (01 trains the teacher, 02 the students) or npm start`);
    const stale = staleModelReason(dir, own);
    if (stale) throw new Error(`Model "${name}" in ${dir} cannot serve WORKBOOK_DATA=${own}: ${stale}. Run the notebooks in order (01 retrains the teacher, 02 the students) or npm start to retrain it`);
    return dir;
  }
  const retrained = path.join(OUTPUTS_DIR, "models", name);
  if (profileName === "full" && fs.existsSync(path.join(retrained, "config.json"))) {
    const stale = staleModelReason(retrained, undefined);
    if (!stale) return retrained;
    logger.warn(`${retrained}: not used (${stale}); using the shipped ${name}`);
  }
  return modelPath(name);
}

/**
 * The student the compression notebooks start from, as the chapter takes its
 * best student: the tuned distilled student (notebook 03) when present, else
 * the distilled one, else the teacher. `optimType` names its benchmark row.
 *
 * @example
 * bestShippedModel(); // { name: "distilbert-clinc-tuned", dir: "…/data/models/distilbert-clinc-tuned", optimType: "Distillation (tuned)" }
 */
export function bestShippedModel(): { name: string; dir: string; optimType: string } {
  const find = (name: string) => {
    try {
      return profileModelPath(name);
    } catch (err) {
      if (/cannot serve/.test((err as Error).message)) logger.warn((err as Error).message);
      return undefined;
    }
  };
  for (const [name, optimType] of [["distilbert-clinc-tuned", "Distillation (tuned)"], ["distilbert-clinc-distilled", "Distillation"]] as const) {
    const dir = find(name);
    if (dir) return { name, dir, optimType };
  }
  return { name: "bert-clinc-teacher", dir: profileModelPath("bert-clinc-teacher"), optimType: "BERT baseline" };
}
