// npm run lab's working folder. Jupyter saves what it shows (autosave every
// two minutes, outputs included), so it never opens notebooks/: it opens lab/
// (ignored by git, beside notebooks/ so every path a cell uses resolves the
// same, "workbook" included), seeded with copies of the committed notebooks.
// A copy is made only where lab/ has none; a copy the user changed is never
// replaced, and a committed notebook that changed since its copy was made is
// named, so nothing is overwritten or kept stale silently.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../../lib/utils/fs";
import { ROOT } from "./setup";

/** Where `npm run lab` works: `lab/` at the project root (git ignores it). */
export const LAB_DIR = path.join(ROOT, "lab");
/** The committed notebooks, the source of the copies. */
export const NOTEBOOKS_DIR = path.join(ROOT, "notebooks");
/**
 * Jupyter config that npm run lab adds (JUPYTER_CONFIG_PATH, beside the
 * user's own): a pre-save hook that strips outputs from any notebook saved
 * inside notebooks/, should one be opened there all the same.
 */
export const LAB_CONFIG_DIR = path.join(ROOT, "tools", "notebook", "jupyter-config");
/** In the working folder: each copy's sha256 when it was made (a hidden file, so Jupyter does not list it). */
export const SEED_RECORD = ".seeded.json";

export interface LabSeed {
  dir: string;
  /** Copied now: lab/ had no such notebook. */
  copied: string[];
  /** Replaced by the new committed version: the copy was byte for byte the one made from the old version. */
  updated: string[];
  /** The user's copies, kept as they are. */
  kept: string[];
  /** Kept copies whose committed notebook changed since the copy was made. */
  stale: string[];
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function readRecord(file: string): Record<string, string> {
  if (!fs.existsSync(file)) return {};
  try {
    const value = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === "string")) as Record<string, string>;
  } catch {
    /* unreadable: treated as no record, so every existing copy is kept */
  }
  return {};
}

/**
 * Seeds the working folder with the committed notebooks: copies those it
 * lacks, replaces a copy only when it is still exactly what was copied from an
 * older committed version, and keeps every other copy.
 *
 * @example const seed = seedLab(); console.log(describeLabSeed(seed).join("\n"));
 */
export function seedLab(options: { from?: string; to?: string } = {}): LabSeed {
  const from = path.resolve(options.from ?? NOTEBOOKS_DIR);
  const dir = path.resolve(options.to ?? LAB_DIR);
  if (!fs.existsSync(from) || !fs.statSync(from).isDirectory()) throw new Error(`seedLab: the notebooks folder ${from} does not exist`);
  const inside = (child: string, parent: string) => !path.relative(parent, child).startsWith("..") && !path.isAbsolute(path.relative(parent, child));
  if (inside(dir, from)) throw new Error(`seedLab: the working folder ${dir} is inside the notebooks folder ${from}; Jupyter's autosave would write outputs there`);
  if (!inside(dir, ROOT)) throw new Error(`seedLab: the working folder ${dir} is outside the project ${ROOT}; its cells could not import "workbook" (node_modules/workbook)`);
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new Error(`seedLab: ${dir} exists and is not a folder; move it away or pass another working folder`);
  const names = fs.readdirSync(from).filter((f) => f.endsWith(".ipynb")).sort();
  if (!names.length) throw new Error(`seedLab: no .ipynb notebooks in ${from}`);
  fs.mkdirSync(dir, { recursive: true });
  const recordFile = path.join(dir, SEED_RECORD);
  const record = readRecord(recordFile);
  const seed: LabSeed = { dir, copied: [], updated: [], kept: [], stale: [] };
  for (const name of names) {
    const source = fs.readFileSync(path.join(from, name));
    const hash = sha256(source);
    const target = path.join(dir, name);
    if (!fs.existsSync(target)) {
      writeFileAtomic(target, source);
      record[name] = hash;
      seed.copied.push(name);
      continue;
    }
    const current = sha256(fs.readFileSync(target));
    if (current === hash) {
      record[name] = hash;
      continue; // the same as the committed notebook: nothing to say
    }
    if (record[name] && record[name] !== hash && current === record[name]) {
      writeFileAtomic(target, source);
      record[name] = hash;
      seed.updated.push(name);
      continue;
    }
    seed.kept.push(name);
    if (record[name] && record[name] !== hash) seed.stale.push(name);
  }
  writeJsonAtomic(recordFile, record);
  return seed;
}

/**
 * What seedLab did, one line each, for the terminal.
 *
 * @example describeLabSeed(seedLab()).forEach((line) => console.log(line));
 */
export function describeLabSeed(seed: LabSeed): string[] {
  const rel = path.relative(ROOT, seed.dir) || ".";
  const lines = [`Working copies in ${rel}/ (git ignores it; notebooks/ is never written): your edits and outputs stay there.`];
  if (seed.copied.length) lines.push(`  copied from notebooks/: ${seed.copied.join(", ")}`);
  if (seed.updated.length) lines.push(`  updated to the new committed version (you had not changed them): ${seed.updated.join(", ")}`);
  if (seed.kept.length) lines.push(`  kept your copies: ${seed.kept.join(", ")} (delete one in ${rel}/ to start again from notebooks/)`);
  for (const name of seed.stale) lines.push(`  note: notebooks/${name} changed since ${rel}/${name} was copied; your copy is kept (rename or delete it to get the new one)`);
  return lines;
}

/**
 * The command that opens the working folder: the front end's arguments
 * (`--allow-root` where Jupyter needs it, then the user's), the folder as its
 * working directory, JUPYTER_PATH with the project's kernel first and
 * JUPYTER_CONFIG_PATH with the output-stripping pre-save hook first.
 * `launcherArgs` go before all of them (`labLaunch("/usr/bin/python3", {
 * launcherArgs: ["tools/jupyterlab/serve.py"], … })`).
 *
 * @example const l = labLaunch("/usr/bin/jupyter-notebook"); spawn(l.command, l.args, { cwd: l.cwd, env: l.env });
 */
export function labLaunch(app: string, options: { dir?: string; args?: string[]; launcherArgs?: string[]; jupyterPath: string; env?: NodeJS.ProcessEnv }): { command: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv } {
  if (!app) throw new Error("labLaunch: no Jupyter front end given");
  const env = options.env ?? process.env;
  const cwd = path.resolve(options.dir ?? LAB_DIR);
  // launcherArgs come first: the script an interpreter runs (python3 tools/jupyterlab/serve.py), then Jupyter's own.
  const args = [...(options.launcherArgs ?? []), ...(process.getuid?.() === 0 ? ["--allow-root"] : []), ...(options.args ?? [])];
  const join = (...dirs: (string | undefined)[]) => dirs.filter(Boolean).join(path.delimiter);
  return { command: app, args, cwd, env: { ...env, JUPYTER_PATH: join(options.jupyterPath, env.JUPYTER_PATH), JUPYTER_CONFIG_PATH: join(LAB_CONFIG_DIR, env.JUPYTER_CONFIG_PATH) } };
}
