import * as fs from "node:fs";
import * as path from "node:path";
import { CLINC_DIR, DatasetDict, loadClinc } from "../data/clinc";
import { intentFileColumns, loadIntentDataset } from "../data/intents";
import { DataFingerprint, dataFingerprintChanges, fileFingerprint } from "../data/fingerprint";
import { logger } from "../utils/log";

// The same folders as hub.ts's MODELS_DIR and OUTPUTS_DIR (hub.ts imports this file, so it cannot import hub.ts).
const ROOT = path.resolve(__dirname, "..", "..");
const MODELS_DIR = path.join(ROOT, "data", "models");
const OUTPUTS_DIR = path.join(ROOT, "outputs");

/**
 * Column names tried, in order, when WORKBOOK_TEXT_COLUMN / WORKBOOK_LABEL_COLUMN are not set.
 *
 * @example
 * TEXT_COLUMNS.includes("utterance"); // true: a train.csv with an "utterance" column needs no WORKBOOK_TEXT_COLUMN
 */
export const TEXT_COLUMNS = ["text", "sentence", "query", "utterance"] as const;

/**
 * Label column names tried, in order, when WORKBOOK_LABEL_COLUMN is not set.
 *
 * @example
 * LABEL_COLUMNS.includes("intent"); // true: a train.csv with an "intent" column needs no WORKBOOK_LABEL_COLUMN
 */
export const LABEL_COLUMNS = ["label", "intent", "category", "class"] as const;

const SPLITS = ["train", "validation", "test"] as const;
const EXTENSIONS = [".csv", ".json", ".jsonl"];

/**
 * The files of a WORKBOOK_DATA folder: `<split>.csv|.json|.jsonl`, train and test required.
 *
 * @example workbookDataFiles("data/my-shop"); // { train: "data/my-shop/train.csv", test: "data/my-shop/test.csv" }
 */
export function workbookDataFiles(given: string): { train: string; test: string; validation?: string } {
  const folder = resolveDataFolder(given);
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) throw new Error(`WORKBOOK_DATA=${folder}: no such folder (it should hold train.csv and test.csv, and optionally validation.csv)`);
  const found: Partial<Record<(typeof SPLITS)[number], string>> = {};
  for (const split of SPLITS) {
    const candidates = EXTENSIONS.map((e) => path.join(folder, split + e)).filter((f) => fs.existsSync(f));
    if (candidates.length > 1) throw new Error(`WORKBOOK_DATA=${folder}: ${candidates.map((c) => path.basename(c)).join(" and ")} both exist; keep one ${split} file`);
    if (candidates.length) found[split] = candidates[0];
  }
  const missing = (["train", "test"] as const).filter((s) => !found[s]);
  if (missing.length) throw new Error(`WORKBOOK_DATA=${folder}: no ${missing.map((m) => `${m}.csv`).join(" or ")} (found: ${fs.readdirSync(folder).join(", ") || "nothing"}); the folder needs train and test files (.csv, .json or .jsonl) and optionally a validation file`);
  return { train: found.train!, test: found.test!, ...(found.validation ? { validation: found.validation } : {}) };
}

/**
 * A WORKBOOK_DATA path as given: absolute, or relative to the current folder,
 * else to the repository root (notebooks run in notebooks/).
 *
 * @example resolveDataFolder("data/my-shop"); // "/…/repo/data/my-shop"
 */
export function resolveDataFolder(folder: string): string {
  const fromCwd = path.resolve(folder);
  if (path.isAbsolute(folder) || fs.existsSync(fromCwd)) return fromCwd;
  const fromRoot = path.resolve(__dirname, "..", "..", folder);
  return fs.existsSync(fromRoot) ? fromRoot : fromCwd;
}

/** The one column of `columns` among `names` (a configured name wins); an error when none or several match. */
function pickColumn(columns: readonly string[], configured: string | undefined, names: readonly string[], env: string, file: string): string {
  if (configured) return configured;
  const lower = columns.map((c) => c.toLowerCase());
  const hits = names.filter((n) => lower.includes(n));
  if (hits.length === 1) return columns[lower.indexOf(hits[0])];
  const why = hits.length ? `several candidate columns (${hits.join(", ")})` : `none of the usual names (${names.join(", ")})`;
  throw new Error(`${file}: ${why} among its columns (${columns.join(", ")}); set ${env} to the column to use`);
}

/**
 * The dataset the workbook runs on: CLINC150, unless WORKBOOK_DATA names a
 * folder of your own intent data with `train.csv` and `test.csv` (or
 * `.json` / `.jsonl`) and optionally `validation.csv`. The text and label
 * columns are found by name (`text`/`sentence`/`query`/`utterance`,
 * `label`/`intent`/`category`/`class`) or set with WORKBOOK_TEXT_COLUMN /
 * WORKBOOK_LABEL_COLUMN. Without a validation file, a stratified, seeded
 * WORKBOOK_VALIDATION_FRACTION (default 0.1) of the training rows is held
 * out. A label named `oos` is the out-of-scope class; without one the
 * out-of-scope metrics are reported as not applicable.
 *
 * @example
 * // WORKBOOK_DATA=data/my-shop npm run train:teacher
 * const data = loadWorkbookData(); // { train, validation, test }
 */
export function loadWorkbookData(folder = process.env.WORKBOOK_DATA, env: NodeJS.ProcessEnv = process.env): DatasetDict {
  if (!folder) return loadClinc();
  const { files, textColumn, labelColumn, validationFraction } = workbookDataPlan(folder, env);
  const data = loadIntentDataset(files, { textColumn, labelColumn, ...(validationFraction === undefined ? {} : { validationFraction, seed: 42 }) });
  const names = data.train.features.intent.names;
  logger.info(
    `Data: ${folder} (columns "${textColumn}", "${labelColumn}"): ${data.train.length} training, ${data.validation.length} validation${validationFraction === undefined ? "" : ` (${validationFraction} of train, stratified)`}, ${data.test.length} test rows; ${names.length} labels, ${names.includes("oos") ? 'out-of-scope class "oos"' : "no oos class (out-of-scope metrics not applicable)"}`,
  );
  return data;
}

/** How loadWorkbookData reads a folder: its files, the columns (from the header only) and the validation fraction. */
function workbookDataPlan(folder: string, env: NodeJS.ProcessEnv): { files: { train: string; test: string; validation?: string }; textColumn: string; labelColumn: string; validationFraction?: number } {
  const files = workbookDataFiles(folder);
  const columns = intentFileColumns(files.train);
  const textColumn = pickColumn(columns, env.WORKBOOK_TEXT_COLUMN, TEXT_COLUMNS, "WORKBOOK_TEXT_COLUMN", files.train);
  const labelColumn = pickColumn(columns, env.WORKBOOK_LABEL_COLUMN, LABEL_COLUMNS, "WORKBOOK_LABEL_COLUMN", files.train);
  let validationFraction: number | undefined;
  if (!files.validation) {
    const raw = env.WORKBOOK_VALIDATION_FRACTION ?? "0.1";
    validationFraction = Number(raw);
    if (!(validationFraction > 0 && validationFraction < 1)) throw new Error(`WORKBOOK_VALIDATION_FRACTION must be a number in (0, 1), got "${raw}"`);
  }
  return { files, textColumn, labelColumn, validationFraction };
}

/**
 * The fingerprint loadWorkbookData would record for the data in use (the
 * sha256 of each file and the loading options), without parsing the files:
 * what a reused model's training report must match.
 *
 * @example workbookDataFingerprint("data/my-shop").files.train.sha256; // the sha256 of data/my-shop/train.csv
 */
export function workbookDataFingerprint(folder = process.env.WORKBOOK_DATA, env: NodeJS.ProcessEnv = process.env): DataFingerprint {
  if (!folder) return { files: { labels: fileFingerprint(path.join(CLINC_DIR, "intents.json")), data: fileFingerprint(path.join(CLINC_DIR, "data_oos_plus.json")) }, options: {} };
  const { files, textColumn, labelColumn, validationFraction } = workbookDataPlan(folder, env);
  const hashed: DataFingerprint["files"] = {};
  for (const [split, file] of Object.entries(files)) hashed[split] = fileFingerprint(file);
  return { files: hashed, options: { textColumn, labelColumn, labels: null, ...(validationFraction === undefined ? {} : { validationFraction, seed: 42 }) } };
}

/**
 * Why a trained model folder must not serve the data in use, or undefined
 * when it may: its training report must record the fingerprint of the data
 * now (each file's sha256, the loading options). For your own data
 * (WORKBOOK_DATA) a folder without a report, or a report without a
 * fingerprint (an older run), is stale too; for CLINC150 such a folder is
 * trusted (the shipped data is what it was trained on).
 *
 * @example
 * staleModelReason("outputs/my-shop/models/bert-clinc-teacher"); // 'it was trained on other data: train.csv changed (sha256 3f2a9c1b… → 77d0e4aa…, 1834 → 1840 bytes)'
 */
export function staleModelReason(dir: string, folder = process.env.WORKBOOK_DATA, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const reportFile = path.join(dir, "training_report.json");
  if (!fs.existsSync(reportFile)) return folder ? "it has no training_report.json, so nothing says which data it was trained on" : undefined;
  let report: { dataFingerprint?: DataFingerprint | null };
  try {
    report = JSON.parse(fs.readFileSync(reportFile, "utf8"));
  } catch (err) {
    return `its training_report.json cannot be read (${(err as Error).message})`;
  }
  if (!report.dataFingerprint) return folder ? "its training report records no data fingerprint (a run from before fingerprints were recorded, or data built in memory), so it may have been trained on other data" : undefined;
  const changes = dataFingerprintChanges(report.dataFingerprint, workbookDataFingerprint(folder, env));
  return changes.length ? `it was trained on other data: ${changes.join("; ")}` : undefined;
}

/**
 * A short name for the data in use: "clinc150", or the WORKBOOK_DATA folder's name.
 *
 * @example workbookDataName("data/my-shop"); // "my-shop"
 */
export function workbookDataName(folder = process.env.WORKBOOK_DATA): string {
  return folder ? path.basename(path.resolve(folder)) : "clinc150";
}

/**
 * Where everything made for the data in use goes: outputs/ for CLINC150 (the
 * chapter's paths), outputs/<data name>/ for WORKBOOK_DATA (models, onnx,
 * transformersjs, runs, hpo, sparse, notebooks, report), so two datasets
 * never share a checkpoint, an export or a report.
 *
 * @example workbookOutputsDir("data/my-shop"); // "…/outputs/my-shop"
 */
export function workbookOutputsDir(folder = process.env.WORKBOOK_DATA): string {
  return folder ? path.join(OUTPUTS_DIR, workbookDataName(folder)) : OUTPUTS_DIR;
}

/** The CLINC150 model names and the role each plays, which names it for other data. */
const MODEL_ROLES: Record<string, string> = {
  "bert-clinc-teacher": "teacher",
  "bert-clinc-mlm": "teacher-mlm",
  "bow-clinc": "bag-of-words",
  "distilbert-clinc": "student",
  "distilbert-clinc-distilled": "student-distilled",
  "distilbert-clinc-tuned": "student-tuned",
  "distilbert-clinc-pruned": "student-pruned",
};

/**
 * The folder name of model `name` for the data in use: the chapter's name
 * for CLINC150, its role for other data (the folder sits under that data's
 * own outputs/<data>/models/, so the data is in the path, never "clinc").
 *
 * @example workbookModelName("bert-clinc-teacher", "data/my-shop"); // "teacher"
 */
export function workbookModelName(name: string, folder = process.env.WORKBOOK_DATA): string {
  if (!folder) return name;
  return MODEL_ROLES[name] ?? name;
}

/**
 * Where the training scripts write a model for the data in use: the shipped
 * folder (data/models/<name>) for CLINC150, outputs/<data name>/models/<role>
 * for WORKBOOK_DATA, so your data never overwrites the shipped checkpoints.
 *
 * @example workbookModelDir("bert-clinc-teacher"); // ".../outputs/my-shop/models/teacher" with WORKBOOK_DATA=data/my-shop
 */
export function workbookModelDir(name: string, folder = process.env.WORKBOOK_DATA): string {
  return folder ? path.join(workbookOutputsDir(folder), "models", workbookModelName(name, folder)) : path.join(MODELS_DIR, name);
}

/**
 * Where a training run keeps its checkpoints: runs/<name> for CLINC150,
 * outputs/<data name>/runs/<name> for WORKBOOK_DATA.
 *
 * @example workbookRunDir("teacher", "data/my-shop"); // ".../outputs/my-shop/runs/teacher"
 */
export function workbookRunDir(name: string, folder = process.env.WORKBOOK_DATA): string {
  return folder ? path.join(workbookOutputsDir(folder), "runs", workbookModelName(name, folder)) : path.resolve(__dirname, "..", "..", "runs", name);
}
