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
import { consoleProgress } from "./consoleProgress";
import { readNotebook } from "./nbformat";

export type { NotebookRun };

/** The committed notebooks, in order (notebooks/NN_*.ipynb). */
export function projectNotebooks(): string[] {
  const nbDir = path.join(ROOT, "notebooks");
  return fs.readdirSync(nbDir).filter((f) => /^\d\d_.*\.ipynb$/.test(f)).sort().map((f) => path.join(nbDir, f));
}

/**
 * The per-cell time limit in seconds, or null for none: `--cell-timeout=N`
 * (or `--cell-timeout N`) among `argv`, else WORKBOOK_CELL_TIMEOUT, else none
 * (as nbclient: a training cell on a large dataset may run for hours; Ctrl-C
 * stops a run, and a dead kernel is noticed at once). 0 or "none" means none.
 *
 * @example cellTimeout(["--cell-timeout=3600"], {}); // 3600
 */
export function cellTimeout(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): number | null {
  let raw: string | undefined;
  let from = "WORKBOOK_CELL_TIMEOUT";
  for (let i = 0; i < argv.length; i++) {
    const m = /^--cell-timeout(?:=(.*))?$/.exec(argv[i]);
    if (m) {
      raw = m[1] ?? argv[i + 1];
      from = "--cell-timeout";
    }
  }
  raw ??= env.WORKBOOK_CELL_TIMEOUT;
  if (raw === undefined || raw === "" || raw === "none" || raw === "0") return null;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${from} must be a number of seconds (0 or "none" for no limit), got ${JSON.stringify(raw)}`);
  return n;
}

/** `argv` without `--cell-timeout` and its value: the notebooks to run. */
export function notebookArgs(argv: string[] = process.argv.slice(2)): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--cell-timeout") i++;
    else if (!argv[i].startsWith("--cell-timeout=")) out.push(argv[i]);
  }
  return out;
}

/**
 * Runs the notebooks in order into `outDir`, stopping at the first that
 * fails, showing on the console which cell runs and the progress lines it
 * prints. `options.runs`, when given, is filled as each notebook ends (so a
 * signal handler can tell which ran); `options.timeout` is the per-cell
 * limit in seconds (default {@link cellTimeout}: none unless set).
 */
export async function runNotebooks(notebooks: string[], outDir = path.join(ROOT, "outputs", "notebooks"), env: NodeJS.ProcessEnv = process.env, options: { timeout?: number | null; runs?: NotebookRun[]; write?: (line: string) => void } = {}): Promise<NotebookRun[]> {
  for (const nb of notebooks) if (!fs.existsSync(nb)) throw new Error(`Notebook not found: ${nb}`);
  setupNotebooks({ quiet: true });
  const runs: NotebookRun[] = options.runs ?? [];
  for (const nb of notebooks) {
    const output = path.join(outDir, path.basename(nb));
    console.log(`▶ ${path.relative(ROOT, nb)} (profile ${env.WORKBOOK_PROFILE ?? "default"})`);
    const codeCells = readNotebook(nb).cells.filter((c) => c.cell_type === "code").length;
    const progress = consoleProgress(codeCells, options.write);
    const run = await executeNotebookFile(nb, output, { env: { ...env, JUPYTER_PATH }, timeout: options.timeout === undefined ? cellTimeout([], env) : options.timeout, onCell: progress.onCell, onStream: progress.onStream });
    runs.push(run);
    if (!run.ok) {
      console.error(`✗ FAILED ${run.error}\n  executed copy: ${path.relative(ROOT, output)}`);
      break;
    }
    console.log(`✓ ${path.basename(nb)} in ${run.seconds.toFixed(0)} s → ${path.relative(ROOT, output)}`);
  }
  return runs;
}
