import * as fs from "node:fs";
import * as path from "node:path";

/** The project's "hub": HF-layout model folders trained by this project and shipped in data/models/. */
export const MODELS_DIR = path.resolve(__dirname, "..", "..", "data", "models");

/** The chapter's teacher, `transformersbook/bert-base-uncased-finetuned-clinc` here. */
export const TEACHER_CHECKPOINT = path.join(MODELS_DIR, "bert-clinc-teacher");

/** Path of a shipped model folder, with a clear error when it is missing. */
export function modelPath(name: string): string {
  const dir = path.isAbsolute(name) ? name : path.join(MODELS_DIR, name);
  if (!fs.existsSync(path.join(dir, "config.json"))) {
    const have = fs.existsSync(MODELS_DIR) ? fs.readdirSync(MODELS_DIR).join(", ") : "none";
    throw new Error(`Model "${name}" not found at ${dir} (shipped models: ${have}). Train it with the npm scripts in the README.`);
  }
  return dir;
}

/** Where notebooks and scripts write what is not committed (exports, executed notebooks, reports). */
export const OUTPUTS_DIR = path.resolve(__dirname, "..", "..", "outputs");

/**
 * The best model shipped for compression experiments, as the chapter uses its
 * distilled student: the distilled student when present, else the teacher.
 */
export function bestShippedModel(): { name: string; dir: string; optimType: string } {
  const find = (name: string) => {
    try {
      return profileModelPath(name);
    } catch {
      return undefined;
    }
  };
  const student = find("distilbert-clinc-distilled");
  if (student) return { name: "distilbert-clinc-distilled", dir: student, optimType: "Distillation" };
  return { name: "bert-clinc-teacher", dir: profileModelPath("bert-clinc-teacher"), optimType: "BERT baseline" };
}

/**
 * The model folder a notebook should use: under WORKBOOK_PROFILE=full, the
 * copy retrained into outputs/models/ by an earlier notebook when there is
 * one; otherwise the shipped checkpoint.
 */
export function profileModelPath(name: string, profileName = process.env.WORKBOOK_PROFILE ?? "default"): string {
  const retrained = path.join(OUTPUTS_DIR, "models", name);
  if (profileName === "full" && fs.existsSync(path.join(retrained, "config.json"))) return retrained;
  return modelPath(name);
}
