import * as fs from "node:fs";
import * as path from "node:path";
import { staleModelReason, workbookModelDir, workbookModelName } from "./data";
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
    const dir = workbookModelDir(name, own);
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
 * best student: the tuned distilled student (notebook 03) when present and
 * not worse on validation than the distilled one (their training reports'
 * bestValidationAccuracy), else the distilled one, else the teacher.
 * `optimType` names its benchmark row.
 *
 * @example
 * bestShippedModel(); // { name: "distilbert-clinc-tuned", dir: "…/data/models/distilbert-clinc-tuned", optimType: "Distillation (tuned)" }
 * // under WORKBOOK_DATA=data/my-shop: { name: "student-tuned", dir: "…/outputs/my-shop/models/student-tuned", … }
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
  const tuned = find("distilbert-clinc-tuned");
  const distilled = find("distilbert-clinc-distilled");
  if (tuned && distilled) {
    // "Tuned" must earn its name: a search that did not beat the untuned student on validation is said so, not used.
    const [t, d] = [tuned, distilled].map(validationAccuracy);
    if (t !== undefined && d !== undefined && t < d) {
      logger.info(`The tuned student (validation accuracy ${t.toFixed(4)}) did not beat the untuned distilled student (${d.toFixed(4)}) on validation: using the distilled student`);
      return { name: workbookModelName("distilbert-clinc-distilled"), dir: distilled, optimType: "Distillation" };
    }
  }
  if (tuned) return { name: workbookModelName("distilbert-clinc-tuned"), dir: tuned, optimType: "Distillation (tuned)" };
  if (distilled) return { name: workbookModelName("distilbert-clinc-distilled"), dir: distilled, optimType: "Distillation" };
  return { name: workbookModelName("bert-clinc-teacher"), dir: profileModelPath("bert-clinc-teacher"), optimType: "BERT baseline" };
}

/** A model folder's best validation accuracy from its training_report.json, if recorded. */
function validationAccuracy(dir: string): number | undefined {
  try {
    const report = JSON.parse(fs.readFileSync(path.join(dir, "training_report.json"), "utf8")) as { bestValidationAccuracy?: unknown };
    return typeof report.bestValidationAccuracy === "number" ? report.bestValidationAccuracy : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where notebook 03 writes the student retrained with the best
 * hyperparameters: under WORKBOOK_DATA that data's own models folder (so
 * notebooks 04–06 start from it when it beats the untuned student on
 * validation, see bestShippedModel); for CLINC150 under `full`
 * outputs/models/distilbert-clinc-tuned (which later notebooks of that
 * profile read); otherwise outputs/models/distilbert-clinc-tuned-smoke, a
 * small search's model that never stands in for the shipped one.
 *
 * @example tunedStudentDir("smoke"); // "…/outputs/models/distilbert-clinc-tuned-smoke"
 */
export function tunedStudentDir(profileName = process.env.WORKBOOK_PROFILE ?? "default"): string {
  if (process.env.WORKBOOK_DATA) return workbookModelDir("distilbert-clinc-tuned");
  return path.join(OUTPUTS_DIR, "models", profileName === "full" ? "distilbert-clinc-tuned" : "distilbert-clinc-tuned-smoke");
}
