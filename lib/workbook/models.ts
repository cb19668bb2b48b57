// Where the notebooks get their models: the shipped checkpoints for CLINC150
// in the smoke and default profiles; trained here, once, under
// WORKBOOK_PROFILE=full (as the book does) or for your own data
// (WORKBOOK_DATA: nothing is shipped for it). Later notebooks reuse what an
// earlier one trained, as long as its training report records the data in
// use (each file's sha256), the workbook's recipe for it, and a teacher no
// newer than it; otherwise it is retrained, with a warning that says why.
import * as fs from "node:fs";
import * as path from "node:path";
import { OUTPUTS_DIR, modelPath } from "./hub";
import { loadWorkbookData, staleModelReason, workbookModelDir, workbookModelName } from "./data";
import { MASKED_LM_RECIPE, STUDENT_RECIPE, TEACHER_RECIPE, pretrainMaskedLm, trainStudent, trainTeacher } from "./recipes";
import { BOW_RECIPE, trainBagOfWords } from "./baselineRecipe";
import { PRUNING_RECIPE } from "./pruningRecipe";
import { BertTokenizer } from "../tokenizers";
import { logger } from "../utils/log";

/** The recipe fields each model's training report must record to be reused (the workbook's recipe for it). */
function notebookRecipe(name: string): Record<string, unknown> | undefined {
  const recipes: Record<string, object> = {
    "bert-clinc-mlm": MASKED_LM_RECIPE,
    "bert-clinc-teacher": TEACHER_RECIPE,
    "bow-clinc": { ...BOW_RECIPE, seed: 42 },
    "distilbert-clinc": { mode: "alone", ...STUDENT_RECIPE, alpha: 1 },
    "distilbert-clinc-distilled": { mode: "distill", ...STUDENT_RECIPE },
    "distilbert-clinc-pruned": PRUNING_RECIPE,
  };
  return recipes[name] as Record<string, unknown> | undefined;
}

/** The models each model is trained from (its teacher, its student, the bag of words of an ensemble), in the same folder. */
function notebookInputs(name: string): string[] {
  const ensemble = (teacher: string) => (teacher === "ensemble" ? ["bow-clinc"] : []);
  const inputs: Record<string, string[]> = {
    "bert-clinc-teacher": TEACHER_RECIPE.init === "mlm" ? ["bert-clinc-mlm"] : [],
    "bow-clinc": ["bert-clinc-teacher"],
    "distilbert-clinc": ["bert-clinc-teacher"],
    "distilbert-clinc-distilled": ["bert-clinc-teacher", ...ensemble(STUDENT_RECIPE.teacher)],
    // Its parent is the better student on validation: either one retrained makes it stale.
    "distilbert-clinc-pruned": ["distilbert-clinc-distilled", "distilbert-clinc-tuned", "bert-clinc-teacher", ...ensemble(PRUNING_RECIPE.teacher)],
  };
  return inputs[name] ?? [];
}

/**
 * Why a model folder trained here must be retrained before a notebook reuses
 * it, or undefined: trained on other data (staleModelReason: a data file's
 * sha256 or a loading option differs, or an older report records none), with
 * another recipe than the workbook's for it, or before a model it was trained
 * from (its teacher, say) was retrained.
 *
 * @example
 * notebookModelStaleReason("bert-clinc-teacher", "outputs/my-shop/models/bert-clinc-teacher"); // e.g. "it was trained on other data: train.csv changed (…)"
 */
export function notebookModelStaleReason(name: string, dir: string): string | undefined {
  const data = staleModelReason(dir);
  if (data) return data;
  const reportFile = path.join(dir, "training_report.json");
  const expected = notebookRecipe(name);
  if (expected && fs.existsSync(reportFile)) {
    const recorded = (JSON.parse(fs.readFileSync(reportFile, "utf8")) as { recipe?: Record<string, unknown> }).recipe;
    if (recorded) {
      // An oos oversampling that did not apply (no oos class) is recorded as 1 and the factor asked for as oosOversampleRequested.
      const asked = recorded.oosOversampleRequested === undefined ? recorded : { ...recorded, oosOversample: recorded.oosOversampleRequested };
      const changed = Object.keys(expected).filter((k) => JSON.stringify(asked[k]) !== JSON.stringify(expected[k]));
      if (changed.length) return `it was trained with another recipe: ${changed.map((k) => `${k} ${JSON.stringify(asked[k]) ?? "unset"} → ${JSON.stringify(expected[k])}`).join(", ")}`;
    }
  }
  const own = trainedAt(dir);
  for (const input of notebookInputs(name)) {
    const trained = trainedAt(path.join(path.dirname(dir), input));
    if (trained !== undefined && own !== undefined && trained > own) return `${input}, which it was trained from, was retrained after it`;
  }
  return undefined;
}

/**
 * When a folder's model was last trained: its weights' mtime (config.json
 * also changes when an out-of-scope detector is fitted, which retrains nothing).
 */
function trainedAt(dir: string): number | undefined {
  for (const file of ["model.safetensors", "model.sparse.safetensors", "config.json"]) {
    const p = path.join(dir, file);
    if (fs.existsSync(p)) return fs.statSync(p).mtimeMs;
  }
  return undefined;
}

/**
 * The folder of model `name` for the data and profile in use, training it
 * with `train(out)` when it must be trained here and is not there yet, or
 * when the folder there is stale (see notebookModelStaleReason: other data
 * files, another recipe, a retrained teacher): the warning says why, and the
 * stale folder is replaced. The shipped CLINC150 models are used as they are.
 *
 * @example const dir = await notebookModel("bert-clinc-teacher", (out) => trainTeacher({ out }));
 */
export async function notebookModel(name: string, train: (out: string) => Promise<unknown>, profileName = process.env.WORKBOOK_PROFILE ?? "default"): Promise<string> {
  const own = process.env.WORKBOOK_DATA;
  if (!own && profileName !== "full") return modelPath(name);
  const dir = own ? workbookModelDir(name) : path.join(OUTPUTS_DIR, "models", name);
  if (fs.existsSync(path.join(dir, "config.json"))) {
    const why = notebookModelStaleReason(name, dir);
    if (!why) return dir;
    logger.warn(`${workbookModelName(name)}: not reusing ${dir}: ${why}. Retraining it${own ? ` for WORKBOOK_DATA=${own}` : ""}.`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await train(dir);
  if (!fs.existsSync(path.join(dir, "config.json"))) throw new Error(`notebookModel: training "${name}" wrote no config.json to ${dir}`);
  const still = staleModelReason(dir);
  if (still) logger.warn(`${name}: the model just trained in ${dir} will not be reused next time: ${still} (train it on loadWorkbookData()'s splits, which carry the fingerprint)`);
  return dir;
}

/**
 * The teacher for the data in use (masked-LM pretraining first when the recipe starts from it).
 *
 * @example
 * const teacherDir = await workbookTeacher(); // "…/data/models/bert-clinc-teacher" for CLINC150 (trained into outputs/ first under WORKBOOK_DATA or WORKBOOK_PROFILE=full)
 */
export async function workbookTeacher(): Promise<string> {
  return notebookModel("bert-clinc-teacher", async (out) => {
    const dataset = loadWorkbookData();
    const mlmDir = TEACHER_RECIPE.init === "mlm" ? await notebookModel("bert-clinc-mlm", (mlmOut) => pretrainMaskedLm({ dataset, out: mlmOut })) : undefined;
    return trainTeacher({ dataset, out, mlmDir });
  });
}

/**
 * The bag-of-words baseline for the data in use (on the teacher's tokenizer).
 *
 * @example
 * const bowDir = await workbookBagOfWords(); // "…/data/models/bow-clinc" for CLINC150
 */
export async function workbookBagOfWords(): Promise<string> {
  const teacherDir = await workbookTeacher();
  return notebookModel("bow-clinc", (out) => trainBagOfWords({ seed: 42, dataset: loadWorkbookData(), tokenizer: BertTokenizer.fromPretrained(teacherDir), out }));
}

/**
 * A student ("alone": the DistilBERT row, "distill": the Distillation row) for the data in use.
 *
 * @example
 * const studentDir = await workbookStudent("alone");    // "…/data/models/distilbert-clinc" for CLINC150
 * const distilledDir = await workbookStudent("distill"); // "…/data/models/distilbert-clinc-distilled"
 */
export async function workbookStudent(mode: "alone" | "distill"): Promise<string> {
  const teacherDir = await workbookTeacher();
  const bowDir = mode === "distill" && STUDENT_RECIPE.teacher === "ensemble" ? await workbookBagOfWords() : undefined;
  return notebookModel(mode === "alone" ? "distilbert-clinc" : "distilbert-clinc-distilled", (out) => trainStudent(mode, { dataset: loadWorkbookData(), out, teacherDir, bowDir }));
}

