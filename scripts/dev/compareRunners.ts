// Our notebook client side by side with Jupyter's nbclient (Debian's
// python3-nbclient; developer machines only, never in npm test):
//
//   tsx scripts/dev/compareRunners.ts overhead [runs]
//       runner overhead per notebook on a tiny notebook: kernel start to
//       shutdown, minus the cells' time (each cell's busy -> idle as the kernel
//       stamped it, read from the executed notebook the same way for both);
//   tsx scripts/dev/compareRunners.ts structure OURS_DIR NBCLIENT_DIR
//       per cell: the same output types and counts? (nbclient 0.7 keeps each
//       stream chunk as its own output; the frontends, and we, merge
//       consecutive chunks of a stream, so its outputs are compared merged);
//   tsx scripts/dev/compareRunners.ts nbclient OUT_DIR NOTEBOOK...
//       runs notebooks with nbclient (reference executed copies).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeNotebook, readNotebook, writeNotebook, Notebook } from "../../tools/notebook/nbformat";
import { executeNotebookFile } from "../../tools/notebook/runner";
import { JUPYTER_PATH, ROOT, setupNotebooks } from "../../tools/notebook/setup";

const PY = "/usr/bin/python3";
const NBCLIENT = path.join(__dirname, "nbclient_run.py");

function cellSeconds(nb: Notebook): number {
  let s = 0;
  for (const c of nb.cells) {
    const e = (c.metadata?.execution ?? {}) as Record<string, string>;
    if (e["iopub.status.busy"] && e["iopub.status.idle"]) s += (Date.parse(e["iopub.status.idle"]) - Date.parse(e["iopub.status.busy"])) / 1000;
  }
  return s;
}

function runNbclient(outDir: string, notebooks: string[]): { notebook: string; output: string; seconds: number; ok: boolean }[] {
  const r = spawnSync(PY, [NBCLIENT, outDir, ...notebooks], { env: { ...process.env, JUPYTER_PATH, PYDEVD_DISABLE_FILE_VALIDATION: "1" }, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) throw new Error(`nbclient run failed (exit ${r.status})`);
  return r.stdout.trim().split("\n").map((l) => JSON.parse(l));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function overhead(runs: number): Promise<void> {
  setupNotebooks({ quiet: true });
  fs.mkdirSync(path.join(ROOT, "outputs"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, "outputs", "overhead-"));
  const nb = path.join(dir, "tiny.ipynb");
  writeNotebook(makeNotebook([["code", 'console.log("a");'], ["code", "const x = 6 * 7;\nconsole.log(x);"], ["code", 'import { workbookProfile } from "workbook";\nconsole.log(workbookProfile().name);']]), nb);
  const ours: number[] = [];
  const theirs: number[] = [];
  const rows: string[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternate, so both see the same machine load.
    const out = path.join(dir, "ours", `tiny.ipynb`);
    const t = Date.now();
    const run = await executeNotebookFile(nb, out, { env: { JUPYTER_PATH } });
    const total = (Date.now() - t) / 1000;
    if (!run.ok) throw new Error(run.error);
    const o = total - cellSeconds(readNotebook(out));
    const [ref] = runNbclient(path.join(dir, "nbclient"), [nb]);
    const n = ref.seconds - cellSeconds(readNotebook(ref.output));
    ours.push(o);
    theirs.push(n);
    rows.push(`run ${i + 1}: ours ${total.toFixed(2)} s total, ${o.toFixed(2)} s overhead (startup ${(run.timings.startup / 1000).toFixed(2)}, shutdown ${(run.timings.shutdown / 1000).toFixed(2)}) | nbclient ${ref.seconds.toFixed(2)} s total, ${n.toFixed(2)} s overhead`);
    console.log(rows.at(-1));
  }
  console.log(`median overhead per notebook: ours ${median(ours).toFixed(2)} s, nbclient ${median(theirs).toFixed(2)} s (${runs} runs each, tiny notebook of 3 cells)`);
  fs.rmSync(dir, { recursive: true, force: true });
}

function mergedTypes(outputs: any[], merge: boolean): string[] {
  const types: string[] = [];
  for (const o of outputs) {
    const t = o.output_type === "stream" ? `stream:${o.name}` : o.output_type;
    if (merge && t.startsWith("stream:") && types.at(-1) === t) continue;
    types.push(t);
  }
  return types;
}

function structure(oursDir: string, theirsDir: string): void {
  let same = true;
  for (const f of fs.readdirSync(oursDir).filter((f) => f.endsWith(".ipynb")).sort()) {
    const a = readNotebook(path.join(oursDir, f));
    const b = readNotebook(path.join(theirsDir, f));
    const diffs: string[] = [];
    if (a.cells.length !== b.cells.length) diffs.push(`cell count ${a.cells.length} vs ${b.cells.length}`);
    let outputs = 0;
    let rawSame = true;
    a.cells.forEach((c, i) => {
      const ta = mergedTypes((c.outputs ?? []) as any[], true);
      const tb = mergedTypes((b.cells[i]?.outputs ?? []) as any[], true);
      outputs += ta.length;
      if (JSON.stringify(mergedTypes((b.cells[i]?.outputs ?? []) as any[], false)) !== JSON.stringify(ta)) rawSame = false;
      if (JSON.stringify(ta) !== JSON.stringify(tb)) diffs.push(`cell ${i}: ${JSON.stringify(ta)} vs ${JSON.stringify(tb)}`);
      if ((c.execution_count == null) !== (b.cells[i]?.execution_count == null)) diffs.push(`cell ${i}: execution_count ${c.execution_count} vs ${b.cells[i]?.execution_count}`);
    });
    same &&= diffs.length === 0;
    console.log(`${f}: ${a.cells.length} cells, ${outputs} outputs: ${diffs.length ? `DIFFERENT\n  ${diffs.join("\n  ")}` : `same output types and counts per cell${rawSame ? " (also before merging nbclient's stream chunks)" : " (after merging nbclient's consecutive stream chunks)"}`}`);
  }
  process.exitCode = same ? 0 : 1;
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === "overhead") overhead(Number(args[0] ?? 5));
else if (cmd === "structure") structure(path.resolve(args[0]), path.resolve(args[1]));
else if (cmd === "nbclient") {
  setupNotebooks({ quiet: true });
  for (const r of runNbclient(path.resolve(args[0]), args.slice(1).map((a) => path.resolve(a)))) console.log(`${path.basename(r.notebook)}: ${r.ok ? "ok" : "FAILED"} in ${r.seconds.toFixed(0)} s → ${r.output}`);
} else {
  console.error("usage: compareRunners.ts overhead [runs] | structure OURS_DIR NBCLIENT_DIR | nbclient OUT_DIR NOTEBOOK...");
  process.exitCode = 2;
}
