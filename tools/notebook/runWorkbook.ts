// Executes the notebooks in order, headless, with the tslab kernel over the
// Jupyter protocol (tools/notebook: our own client, no Python); executed copies
// go to outputs/notebooks/ (never over the committed sources). Stops at the
// first failing notebook, naming the cell.
//
//   npm run notebooks                       # WORKBOOK_PROFILE=default
//   WORKBOOK_PROFILE=smoke npm run notebooks
//   npm run notebooks -- notebooks/01_baseline.ipynb
import * as fs from "node:fs";
import * as path from "node:path";
import { JUPYTER_PATH, ROOT, setupNotebooks } from "./setup";
import { executeNotebookFile, NotebookRun } from "./runner";

export type { NotebookRun };

/** The committed notebooks, in order (notebooks/NN_*.ipynb). */
export function projectNotebooks(): string[] {
  const nbDir = path.join(ROOT, "notebooks");
  return fs.readdirSync(nbDir).filter((f) => /^\d\d_.*\.ipynb$/.test(f)).sort().map((f) => path.join(nbDir, f));
}

/**
 * Runs the notebooks in order into `outDir`, stopping at the first that
 * fails. `options.runs`, when given, is filled as each notebook ends (so a
 * signal handler can tell which ran).
 */
export async function runNotebooks(notebooks: string[], outDir = path.join(ROOT, "outputs", "notebooks"), env: NodeJS.ProcessEnv = process.env, options: { timeout?: number; runs?: NotebookRun[] } = {}): Promise<NotebookRun[]> {
  for (const nb of notebooks) if (!fs.existsSync(nb)) throw new Error(`Notebook not found: ${nb}`);
  setupNotebooks({ quiet: true });
  const runs: NotebookRun[] = options.runs ?? [];
  for (const nb of notebooks) {
    const output = path.join(outDir, path.basename(nb));
    console.log(`▶ ${path.relative(ROOT, nb)} (profile ${env.WORKBOOK_PROFILE ?? "default"})`);
    const run = await executeNotebookFile(nb, output, { env: { ...env, JUPYTER_PATH }, timeout: options.timeout ?? 1800 });
    runs.push(run);
    if (!run.ok) {
      console.error(`✗ FAILED ${run.error}\n  executed copy: ${path.relative(ROOT, output)}`);
      break;
    }
    console.log(`✓ ${path.basename(nb)} in ${run.seconds.toFixed(0)} s → ${path.relative(ROOT, output)}`);
  }
  return runs;
}
