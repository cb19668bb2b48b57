// Executes the notebooks in order, headless, through Jupyter (nbclient) with
// the tslab kernel; executed copies go to outputs/notebooks/ (never over the
// committed sources). Stops at the first failing notebook, naming the cell.
//
//   npm run notebooks                       # WORKBOOK_PROFILE=default
//   WORKBOOK_PROFILE=smoke npm run notebooks
//   npm run notebooks -- notebooks/01_baseline.ipynb
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { JUPYTER_PATH, PYTHON, ROOT, setupNotebooks } from "./setupNotebooks";

export interface NotebookRun {
  notebook: string;
  output: string;
  seconds: number;
  ok: boolean;
  error?: string;
}

export function runNotebooks(notebooks: string[], outDir = path.join(ROOT, "outputs", "notebooks"), env: NodeJS.ProcessEnv = process.env): NotebookRun[] {
  setupNotebooks({ quiet: true });
  const runs: NotebookRun[] = [];
  for (const nb of notebooks) {
    if (!fs.existsSync(nb)) throw new Error(`Notebook not found: ${nb}`);
    const output = path.join(outDir, path.basename(nb));
    const start = Date.now();
    console.log(`▶ ${path.relative(ROOT, nb)} (profile ${env.WORKBOOK_PROFILE ?? "default"})`);
    const r = spawnSync(PYTHON, [path.join(ROOT, "scripts", "execute_notebook.py"), nb, output], {
      env: { ...env, JUPYTER_PATH, PYDEVD_DISABLE_FILE_VALIDATION: "1" },
      stdio: ["ignore", "inherit", "pipe"],
      encoding: "utf8",
    });
    const seconds = (Date.now() - start) / 1000;
    const error = r.status === 0 ? undefined : (r.stderr.match(/FAILED .*/)?.[0] ?? r.stderr.trim().split("\n").at(-1) ?? `exit ${r.status}`);
    runs.push({ notebook: nb, output, seconds, ok: r.status === 0, error });
    if (error) {
      console.error(`✗ ${error}\n  executed copy: ${path.relative(ROOT, output)}`);
      break;
    }
    console.log(`✓ ${path.basename(nb)} in ${seconds.toFixed(0)} s → ${path.relative(ROOT, output)}`);
  }
  return runs;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const nbDir = path.join(ROOT, "notebooks");
  const notebooks = args.length ? args.map((a) => path.resolve(a)) : fs.readdirSync(nbDir).filter((f) => /^\d\d_.*\.ipynb$/.test(f)).sort().map((f) => path.join(nbDir, f));
  const runs = runNotebooks(notebooks);
  const total = runs.reduce((a, r) => a + r.seconds, 0);
  console.log(`${runs.filter((r) => r.ok).length}/${notebooks.length} notebooks ran in ${total.toFixed(0)} s`);
  process.exit(runs.every((r) => r.ok) && runs.length === notebooks.length ? 0 : 1);
}
