// Where the notebooks get their models: the shipped checkpoints for CLINC150
// in the smoke and default profiles; trained here, once, under
// WORKBOOK_PROFILE=full (as the book does) or for your own data
// (WORKBOOK_DATA: nothing is shipped for it). Later notebooks reuse what an
// earlier one trained.
import * as fs from "node:fs";
import * as path from "node:path";
import { OUTPUTS_DIR, modelPath } from "./hub";
import { loadWorkbookData, workbookModelDir } from "./data";
import { STUDENT_RECIPE, TEACHER_RECIPE, pretrainMaskedLm, trainStudent, trainTeacher } from "./recipes";
import { trainBagOfWords } from "./baselineRecipe";
import { BertTokenizer } from "../tokenizers";

/**
 * The folder of model `name` for the data and profile in use, training it
 * with `train(out)` when it must be trained here and is not there yet.
 *
 * @example const dir = await notebookModel("bert-clinc-teacher", (out) => trainTeacher({ out }));
 */
export async function notebookModel(name: string, train: (out: string) => Promise<unknown>, profileName = process.env.WORKBOOK_PROFILE ?? "default"): Promise<string> {
  const own = process.env.WORKBOOK_DATA;
  if (!own && profileName !== "full") return modelPath(name);
  const dir = own ? workbookModelDir(name) : path.join(OUTPUTS_DIR, "models", name);
  if (!fs.existsSync(path.join(dir, "config.json"))) await train(dir);
  if (!fs.existsSync(path.join(dir, "config.json"))) throw new Error(`notebookModel: training "${name}" wrote no config.json to ${dir}`);
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

