// npm run check:lab: the notebooks in JupyterLab 3.6 in a real browser. Builds
// (once) the JupyterLab frontend of tools/jupyterlab/app.js, serves it with
// Debian's jupyter_server + jupyterlab_server (serve.py) and the project's
// tslab kernel, and drives headless Chromium (puppeteer-core) through each
// notebook, on a copy under outputs/ (JupyterLab saves what it shows):
//   1. Run All (WORKBOOK_PROFILE=smoke), waiting for every code cell's
//      execution count; no error output, no failed execute_reply;
//   2. training progress: a running cell's output is on screen before the cell
//      finishes (its text seen growing while the prompt says [*]);
//   3. every chart (jupyterlab-plotly's renderer) is drawn: a plotly graph div
//      with its modebar, and a hover over a data point shows a tooltip;
//   4. re-running a middle cell works (a new count, no error);
//   5. Restart Kernel and Run All works (counts 1..n again, charts again);
//   6. saved and reopened (page reloaded), the notebook still shows its charts.
// Screenshots go to outputs/lab-check/. Everything it starts is stopped.
//
//   npm run check:lab                         # every notebooks/NN_*.ipynb
//   npm run check:lab -- notebooks/02_distillation.ipynb
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CHROMIUM_FLAGS, scratchHomeEnv, scratchJupyterEnv } from "../notebook/checkBrowser";
import { findChromiumBinary, INSTALL_HINTS } from "../notebook/jupyter";
import { JUPYTER_PATH, ROOT, setupNotebooks } from "../notebook/setup";
import { buildLabApp, LAB_APP_DIR } from "./build";
import { labServerVersions, LabServer, startLabServer } from "./server";

type Page = import("puppeteer-core").Page;

export interface ChartCheck {
  /** A plotly graph div (.js-plotly-plot with .plot-container) was drawn. */
  drawn: boolean;
  modebar: boolean;
  /** The trace types (plotly's). */
  types: string[];
  /**
   * What the interaction showed ("" when nothing did): the tooltip's text
   * after a hover over a data point or, for parallel coordinates (plotly
   * shows no tooltip there; one brushes an axis), the range brushed.
   */
  tooltip: string;
}

export interface ProgressCheck {
  /** Code cell number (1-based among the code cells). */
  cell: number;
  /** Distinct output texts seen on screen while the cell still ran. */
  updatesWhileRunning: number;
  /** Seconds between the first output seen and the cell's end. */
  secondsVisibleBeforeEnd: number;
  /** The last progress line seen while it ran. */
  line: string;
}

export interface LabNotebookResult {
  notebook: string;
  codeCells: number;
  executionCounts: (number | string | null)[];
  errorOutputs: number;
  failedReplies: number;
  /** Outputs that carry a plotly figure in the notebook model. */
  plotlyOutputs: number;
  charts: ChartCheck[];
  /** Cells that print a training progress line ("***** Running training"), as seen while they ran. */
  progress: ProgressCheck[];
  /** Output lines seen on screen while any cell ran (every cell counts). */
  runningCellsWithOutput: number;
  rerun: { cell: number; before: number | null; after: number | null; errors: number };
  restartRunAll: { executionCounts: (number | string | null)[]; errors: number; charts: number; seconds: number };
  reopened: { charts: number; images: number; interactive: number; savedPlotlyOutputs: number; savedPngOutputs: number };
  runAllSeconds: number;
  seconds: number;
  screenshots: string[];
  problems: string[];
}

/** Why the check cannot run here (one line), or undefined when it can. */
export function labCheckUnavailable(): string | undefined {
  const versions = labServerVersions();
  if (typeof versions === "string") return versions;
  if (!findChromiumBinary()) return INSTALL_HINTS.chromium;
  return undefined;
}

/** The workbook's notebooks, in order: notebooks/NN_*.ipynb. */
export function workbookNotebooks(dir = path.join(ROOT, "notebooks")): string[] {
  return fs.readdirSync(dir).filter((f) => /^\d\d_.*\.ipynb$/.test(f)).sort().map((f) => path.join(dir, f));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// In the page: the app's state, read from the notebook model and the prompts on screen.
const INSTALL_PROBES = `(() => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  const nb = panel.content;
  const t0 = performance.now();
  const st = { failed: 0, samples: {}, finished: {}, runningWithOutput: {} };
  const hook = (kernel) => {
    if (!kernel || kernel.__workbookHooked) return;
    kernel.__workbookHooked = true;
    kernel.anyMessage.connect((_, m) => {
      if (m.direction === "recv" && m.msg.header.msg_type === "execute_reply" && m.msg.content.status !== "ok") st.failed++;
    });
  };
  hook(panel.sessionContext.session && panel.sessionContext.session.kernel);
  panel.sessionContext.kernelChanged.connect((_, c) => hook(c.newValue));
  const codeCells = () => nb.widgets.filter((w) => w.model.type === "code" && w.model.value.text.trim());
  const prompt = (w) => {
    const t = (w.node.querySelector(".jp-InputPrompt") || {}).textContent || "";
    const m = /\\[(.*)\\]/.exec(t);
    if (!m || !m[1].trim()) return null;
    return m[1] === "*" ? "*" : Number(m[1]);
  };
  // Progress: what a running cell ([*], its output cleared when it was queued) shows before it ends.
  const observe = () => {
    const now = (performance.now() - t0) / 1000;
    codeCells().forEach((w, i) => {
      const p = prompt(w);
      const text = w.outputArea.node.textContent || "";
      if (p === "*" && text.length) {
        const s = (st.samples[i] = st.samples[i] || []);
        if (!s.length || s[s.length - 1].len !== text.length) s.push({ t: now, len: text.length, tail: text.trim().split("\\n").pop().slice(-160) });
        st.runningWithOutput[i] = true;
      } else if (typeof p === "number" && st.samples[i] && st.finished[i] === undefined) st.finished[i] = now;
    });
  };
  new MutationObserver(observe).observe(nb.node, { subtree: true, childList: true, characterData: true });
  window.__workbook = {
    st,
    codeCells,
    prompt,
    state() {
      observe();
      const cells = codeCells();
      let errors = 0, plotly = 0;
      for (const w of cells) {
        for (let j = 0; j < w.model.outputs.length; j++) {
          const o = w.model.outputs.get(j);
          if (o.type === "error") errors++;
          if (o.data && o.data["application/vnd.plotly.v1+json"]) plotly++;
        }
      }
      return { counts: cells.map(prompt), errors, failed: st.failed, plotly, dirty: panel.context.model.dirty };
    },
    progress() {
      return codeCells().map((w, i) => ({
        cell: i + 1,
        training: (w.outputArea.node.textContent || "").includes("***** Running training"),
        samples: st.samples[i] || [],
        finished: st.finished[i],
      }));
    },
    resetProgress() { st.samples = {}; st.finished = {}; st.runningWithOutput = {}; },
    runningWithOutput() { return Object.keys(st.runningWithOutput).length; },
  };
  return true;
})()`;

type State = { counts: (number | string | null)[]; errors: number; failed: number; plotly: number; dirty: boolean };
const state = (page: Page) => page.evaluate("window.__workbook.state()") as Promise<State>;

/**
 * Waits until no prompt says [*] and `done(counts)` holds (tslab's idle
 * status comes too early in a Run All). A failed cell cancels the queued ones
 * (their prompts go blank): after 5 s with nothing queued and the kernel idle
 * it throws, naming the cells that did not run.
 */
async function waitForRun(page: Page, timeoutMs: number, done: (counts: (number | string | null)[]) => boolean, what: string): Promise<State> {
  const deadline = Date.now() + timeoutMs;
  let s = await state(page);
  let settledSince: number | undefined;
  let seenQueued = false;
  const start = Date.now();
  while (Date.now() < deadline) {
    s = await state(page);
    if (!s.counts.includes("*") && done(s.counts)) return s;
    seenQueued ||= s.counts.includes("*");
    // Before the run shows a [*] (a restart still under way) an idle kernel says nothing yet.
    const idle = (seenQueued || Date.now() - start > 60_000) && !s.counts.includes("*") && ((await page.evaluate(`(() => { const k = window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel; return !!k && k.status === "idle"; })()`)) as boolean);
    settledSince = idle ? (settledSince ?? Date.now()) : undefined;
    if (settledSince !== undefined && Date.now() - settledSince > 5000) {
      const notRun = s.counts.map((c, i) => (typeof c === "number" ? 0 : i + 1)).filter(Boolean);
      throw new Error(`${what}: stopped with code cell(s) ${notRun.join(", ") || "?"} not run (prompts ${JSON.stringify(s.counts)}; ${s.errors} error output(s), ${s.failed} failed execute_reply(s))`);
    }
    await sleep(1000);
  }
  throw new Error(`${what}: not finished in ${timeoutMs / 1000} s (prompts ${JSON.stringify(s.counts)})`);
}

/**
 * Opens a notebook in the app (a page load of /lab/workspaces/STEM/tree/NAME:
 * a workspace of its own, so no tab of an earlier notebook is restored and
 * starts a kernel) and waits for its kernel.
 */
async function openNotebook(page: Page, server: LabServer, name: string): Promise<void> {
  const workspace = name.replace(/\.ipynb$/, "").replace(/[^\w-]/g, "-");
  await page.goto(server.labUrl(`workspaces/${workspace}/tree/${encodeURIComponent(name)}`), { waitUntil: "load", timeout: 120_000 });
  await page.waitForFunction(`document.body.dataset.workbookLab === "restored" || document.body.dataset.workbookLab === "failed"`, { timeout: 180_000 });
  if ((await page.evaluate("document.body.dataset.workbookLab")) === "failed") throw new Error("the JupyterLab frontend failed to start (see the browser console)");
  await page.waitForFunction(
    `(() => { const p = window.jupyterapp.shell.currentWidget; return !!(p && p.context && p.context.path === ${JSON.stringify(name)} && p.context.isReady && p.sessionContext.session && p.sessionContext.session.kernel && p.sessionContext.session.kernel.connectionStatus === "connected" && p.sessionContext.session.kernel.status === "idle"); })()`,
    { timeout: 180_000, polling: 500 },
  );
}

/** Marks the current notebook's plotly outputs (data-workbook-chart=i) and returns how many there are. */
async function markCharts(page: Page): Promise<number> {
  return (await page.evaluate(`(() => {
    const els = Array.from(window.jupyterapp.shell.currentWidget.node.querySelectorAll(".jp-RenderedPlotly"));
    els.forEach((el, i) => el.setAttribute("data-workbook-chart", String(i)));
    return els.length;
  })()`)) as number;
}

/**
 * Draws chart i as a person would (jupyterlab-plotly shows the notebook's PNG
 * until the mouse enters it, then draws the plotly graph), then hovers data
 * points until plotly shows a tooltip.
 */
async function checkChart(page: Page, i: number): Promise<ChartCheck> {
  const sel = `[data-workbook-chart="${i}"]`;
  await page.evaluate(`document.querySelector(${JSON.stringify(sel)}).scrollIntoView({ block: "center" })`);
  await sleep(200);
  const hasGraph = () => page.evaluate(`!!document.querySelector(${JSON.stringify(`${sel} .js-plotly-plot .plot-container, ${sel}.js-plotly-plot .plot-container`)})`) as Promise<boolean>;
  if (!(await hasGraph())) {
    const img = await page.$(`${sel} img.plot-img`);
    if (img) await img.hover().catch(() => undefined);
    await page.waitForFunction(`!!document.querySelector(${JSON.stringify(`${sel} .plot-container`)})`, { timeout: 30_000 }).catch(() => undefined);
  }
  const drawn = await hasGraph();
  const modebar = (await page.evaluate(`!!document.querySelector(${JSON.stringify(`${sel} .modebar`)})`)) as boolean;
  let tooltip = "";
  const types = drawn ? ((await page.evaluate(`document.querySelector(${JSON.stringify(sel)})._fullData.map((t) => t.type)`)) as string[]) : [];
  if (drawn && types.length && types.every((t) => t === "parcoords")) {
    // Parallel coordinates: drag along the first axis (a brush); plotly then constrains that dimension.
    const bar = await page.$(`${sel} .axis-brush rect.background`);
    const box = await bar?.boundingBox();
    if (box) {
      const x = box.x + box.width / 2;
      await page.mouse.move(x, box.y + box.height * 0.3);
      await page.mouse.down();
      await page.mouse.move(x, box.y + box.height * 0.7, { steps: 6 });
      await page.mouse.up();
      await sleep(300);
      tooltip = (await page.evaluate(`(() => {
        const dims = document.querySelector(${JSON.stringify(sel)})._fullData[0].dimensions || [];
        const d = dims.find((d) => d.constraintrange);
        return d ? "brushed " + (d.label || "an axis") + ": " + JSON.stringify(d.constraintrange) : "";
      })()`)) as string;
    }
  } else if (drawn) {
    // Candidate points in page pixels: the first, middle and last point of each trace (axes' d2p), then the plot area's middle.
    const points = (await page.evaluate(`(() => {
      const gd = document.querySelector(${JSON.stringify(sel)});
      const fl = gd._fullLayout, box = gd.getBoundingClientRect(), out = [];
      for (const tr of gd._fullData || []) {
        const xa = fl[(tr.xaxis || "x").replace("x", "xaxis")], ya = fl[(tr.yaxis || "y").replace("y", "yaxis")];
        if (!xa || !ya || !tr.x || !tr.y || !tr.x.length) continue;
        const n = Math.min(tr.x.length, tr.y.length);
        const horizontal = tr.orientation === "h";
        for (const k of [Math.floor(n / 2), 0, n - 1]) {
          // A bar is hovered inside it (half its length), not on its edge.
          const x = tr.type === "bar" && horizontal ? Number(tr.x[k]) / 2 : tr.x[k];
          const y = tr.type === "bar" && !horizontal ? Number(tr.y[k]) / 2 : tr.y[k];
          const px = xa._offset + xa.d2p(x), py = ya._offset + ya.d2p(y);
          if (Number.isFinite(px) && Number.isFinite(py)) out.push([box.left + px, box.top + py]);
        }
      }
      const s = fl._size;
      out.push([box.left + s.l + s.w / 2, box.top + s.t + s.h / 2]);
      return out.slice(0, 8);
    })()`)) as [number, number][];
    // Each point twice, the mouse first leaving the chart (plotly answers a hover on its next animation
    // frame, which a loaded machine delays).
    for (const [x, y] of [...points, ...points]) {
      await page.mouse.move(1, 1);
      await page.mouse.move(x - 15, y - 5, { steps: 2 });
      await page.mouse.move(x, y, { steps: 4 });
      const shown = await page.waitForFunction(`(() => { const t = document.querySelector(${JSON.stringify(`${sel} .hoverlayer .hovertext`)}); return t ? t.textContent || " " : false; })()`, { timeout: 4000 }).catch(() => undefined);
      if (shown) {
        tooltip = String(await shown.jsonValue()).trim() || "(tooltip)";
        break;
      }
    }
  }
  return { drawn, modebar, types, tooltip };
}

async function checkAllCharts(page: Page): Promise<ChartCheck[]> {
  const n = await markCharts(page);
  const out: ChartCheck[] = [];
  for (let i = 0; i < n; i++) out.push(await checkChart(page, i));
  return out;
}

/** Counts the shown charts after a reload: PNGs (data URI, loaded) or drawn plotly graphs. */
async function shownCharts(page: Page): Promise<{ charts: number; images: number }> {
  return (await page.evaluate(`(() => {
    const els = Array.from(window.jupyterapp.shell.currentWidget.node.querySelectorAll(".jp-RenderedPlotly"));
    let images = 0;
    for (const el of els) {
      const img = el.querySelector("img.plot-img");
      if (img && img.style.display !== "none" && img.src.startsWith("data:image/png") && img.naturalWidth > 0) images++;
    }
    return { charts: els.length, images };
  })()`)) as { charts: number; images: number };
}

/**
 * Runs the whole check on each notebook (one server and one browser for all);
 * returns one result per notebook, its `problems` empty when it passed.
 */
export async function checkLab(options: { notebooks?: string[]; outDir?: string; profile?: string; runTimeoutMs?: number; log?: (line: string) => void } = {}): Promise<LabNotebookResult[]> {
  const unavailable = labCheckUnavailable();
  if (unavailable) throw new Error(unavailable);
  const log = options.log ?? (() => undefined);
  const sources = (options.notebooks?.length ? options.notebooks : workbookNotebooks()).map((p) => path.resolve(p));
  for (const s of sources) if (!fs.existsSync(s)) throw new Error(`Notebook not found: ${s}`);
  const outDir = path.resolve(options.outDir ?? path.join(ROOT, "outputs", "lab-check"));
  const runTimeoutMs = options.runTimeoutMs ?? 1_200_000;
  setupNotebooks({ quiet: true });
  const build = await buildLabApp({ log });
  fs.mkdirSync(outDir, { recursive: true });
  // Copies inside the project, two levels down like the classic check's (so "workbook" and the data resolve).
  fs.mkdirSync(path.join(ROOT, "outputs"), { recursive: true });
  const work = fs.mkdtempSync(path.join(ROOT, "outputs", "lab-check-work-"));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-lab-"));
  for (const s of sources) fs.copyFileSync(s, path.join(work, path.basename(s)));
  let server: LabServer | undefined;
  let browser: import("puppeteer-core").Browser | undefined;
  const results: LabNotebookResult[] = [];
  try {
    server = await startLabServer({
      root: work,
      appDir: build.dir,
      env: {
        ...process.env,
        JUPYTER_PATH: [JUPYTER_PATH, process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter),
        ...scratchJupyterEnv(scratch),
        WORKBOOK_PROFILE: options.profile ?? process.env.WORKBOOK_PROFILE ?? "smoke",
      },
    });
    log(`JupyterLab ${build.version} frontend (${build.built ? `built in ${build.seconds.toFixed(0)} s` : "cached build"}) on ${server.base}, ${JSON.stringify(labServerVersions())}`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const puppeteer = require("puppeteer-core") as typeof import("puppeteer-core");
    browser = await puppeteer.launch({ executablePath: findChromiumBinary()!, headless: true, args: CHROMIUM_FLAGS, userDataDir: path.join(scratch, "chromium"), env: scratchHomeEnv(scratch), defaultViewport: { width: 1400, height: 1000 }, protocolTimeout: 600_000 });
    for (const source of sources) {
      const name = path.basename(source);
      const stem = name.replace(/\.ipynb$/, "");
      const start = Date.now();
      const page = await browser.newPage();
      const consoleErrors: string[] = [];
      page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text().slice(0, 300)));
      page.on("pageerror", (e) => consoleErrors.push(String(e).slice(0, 300)));
      page.on("dialog", (d) => void d.accept());
      const shot = async (what: string) => {
        const file = path.join(outDir, `${stem}-${what}.png`);
        await page.screenshot({ path: file as `${string}.png` });
        return file;
      };
      const result: LabNotebookResult = { notebook: source, codeCells: 0, executionCounts: [], errorOutputs: 0, failedReplies: 0, plotlyOutputs: 0, charts: [], progress: [], runningCellsWithOutput: 0, rerun: { cell: 0, before: null, after: null, errors: 0 }, restartRunAll: { executionCounts: [], errors: 0, charts: 0, seconds: 0 }, reopened: { charts: 0, images: 0, interactive: 0, savedPlotlyOutputs: 0, savedPngOutputs: 0 }, runAllSeconds: 0, seconds: 0, screenshots: [], problems: [] };
      const problems = result.problems;
      try {
        log(`${name}: opening`);
        await openNotebook(page, server, name);
        await page.evaluate(INSTALL_PROBES);
        // 1. Run All.
        const runStart = Date.now();
        await page.evaluate(`window.jupyterapp.commands.execute("notebook:run-all-cells")`);
        let s = await waitForRun(page, runTimeoutMs, (c) => c.every((x) => typeof x === "number"), `${name}: Run All`);
        result.runAllSeconds = (Date.now() - runStart) / 1000;
        Object.assign(result, { codeCells: s.counts.length, executionCounts: s.counts, errorOutputs: s.errors, failedReplies: s.failed, plotlyOutputs: s.plotly });
        log(`${name}: Run All done in ${result.runAllSeconds.toFixed(0)} s (${s.counts.length} code cells, ${s.plotly} charts, ${s.errors} error outputs, ${s.failed} failed replies)`);
        if (s.errors || s.failed) problems.push(`${s.errors} error output(s), ${s.failed} failed execute_reply(s) after Run All`);
        // 2. Progress seen while cells ran.
        type Sample = { t: number; len: number; tail: string };
        const progress = (await page.evaluate("window.__workbook.progress()")) as { cell: number; training: boolean; samples: Sample[]; finished?: number }[];
        result.runningCellsWithOutput = (await page.evaluate("window.__workbook.runningWithOutput()")) as number;
        for (const p of progress.filter((x) => x.training)) {
          const first = p.samples[0];
          result.progress.push({ cell: p.cell, updatesWhileRunning: p.samples.length, secondsVisibleBeforeEnd: first && p.finished !== undefined ? p.finished - first.t : 0, line: p.samples.length ? p.samples[p.samples.length - 1].tail : "" });
        }
        const unseen = result.progress.filter((p) => p.updatesWhileRunning === 0);
        if (unseen.length) problems.push(`training output of code cell(s) ${unseen.map((p) => p.cell).join(", ")} was not on screen while the cell ran`);
        // 3. Charts: drawn, with a modebar, a tooltip on hover.
        result.charts = await checkAllCharts(page);
        result.screenshots.push(await shot("run-all"));
        if (result.charts.length !== s.plotly) problems.push(`${s.plotly} plotly output(s) in the notebook, ${result.charts.length} plotly renderer(s) on screen`);
        const bad = result.charts.map((c, i) => (!c.drawn || !c.modebar || !c.tooltip ? `chart ${i + 1} (${c.types.join("+") || "?"}: ${!c.drawn ? "not drawn" : !c.modebar ? "no modebar" : c.types.includes("parcoords") ? "brushing an axis did nothing" : "no tooltip on hover"})` : "")).filter(Boolean);
        if (bad.length) problems.push(bad.join(", "));
        // 4. Re-run a middle cell.
        const countsBefore = s.counts as number[];
        const middle = Math.floor((countsBefore.length - 1) / 2);
        const maxBefore = Math.max(...countsBefore);
        await page.evaluate(`(() => {
          const nb = window.jupyterapp.shell.currentWidget.content;
          const w = window.__workbook.codeCells()[${middle}];
          nb.activeCellIndex = nb.widgets.indexOf(w);
          nb.deselectAll();
          return window.jupyterapp.commands.execute("notebook:run-cell");
        })()`);
        s = await waitForRun(page, runTimeoutMs, (c) => typeof c[middle] === "number" && (c[middle] as number) > maxBefore, `${name}: re-running code cell ${middle + 1}`);
        result.rerun = { cell: middle + 1, before: countsBefore[middle], after: s.counts[middle] as number, errors: s.errors + s.failed - result.failedReplies };
        if (result.rerun.errors) problems.push(`re-running code cell ${middle + 1} gave ${result.rerun.errors} error(s)`);
        // 5. Restart Kernel and Run All (the menu's command; its confirmation dialog accepted).
        const restartStart = Date.now();
        await page.evaluate(`(() => { void window.jupyterapp.commands.execute("notebook:restart-run-all"); })()`);
        const accept = await page.waitForSelector(".jp-Dialog .jp-Dialog-button.jp-mod-accept", { timeout: 30_000 });
        await accept!.click();
        const n = countsBefore.length;
        s = await waitForRun(page, runTimeoutMs, (c) => c.every((x, i) => x === i + 1), `${name}: Restart Kernel and Run All`);
        const failedAfterRestart = s.failed - result.failedReplies;
        result.restartRunAll = { executionCounts: s.counts, errors: s.errors + failedAfterRestart, charts: await markCharts(page), seconds: (Date.now() - restartStart) / 1000 };
        log(`${name}: Restart and Run All done in ${result.restartRunAll.seconds.toFixed(0)} s`);
        if (result.restartRunAll.errors) problems.push(`${result.restartRunAll.errors} error(s) after Restart and Run All`);
        if (result.restartRunAll.charts !== s.plotly || s.plotly !== result.plotlyOutputs) problems.push(`after Restart and Run All: ${s.plotly} plotly outputs, ${result.restartRunAll.charts} on screen (Run All had ${result.plotlyOutputs})`);
        if (n && result.restartRunAll.charts) {
          const c = await checkChart(page, 0);
          if (!c.drawn || !c.tooltip) problems.push("after Restart and Run All the first chart did not draw or show a tooltip");
        }
        // 6. Save, reload the page, reopen: the charts are still shown.
        await page.evaluate(`window.jupyterapp.commands.execute("docmanager:save")`);
        await page.waitForFunction(`!window.jupyterapp.shell.currentWidget.context.model.dirty`, { timeout: 60_000 });
        const saved = (await (await fetch(`${server.base}/api/contents/${encodeURIComponent(name)}?token=${server.token}`)).json()) as { content: { cells: { outputs?: { data?: Record<string, unknown> }[] }[] } };
        const outputs = saved.content.cells.flatMap((c) => c.outputs ?? []);
        result.reopened.savedPlotlyOutputs = outputs.filter((o) => o.data?.["application/vnd.plotly.v1+json"]).length;
        result.reopened.savedPngOutputs = outputs.filter((o) => o.data?.["application/vnd.plotly.v1+json"] && o.data?.["image/png"]).length;
        await openNotebook(page, server, name);
        await page.evaluate(INSTALL_PROBES);
        await sleep(1000);
        Object.assign(result.reopened, await shownCharts(page));
        if (result.reopened.charts) await page.evaluate(`window.jupyterapp.shell.currentWidget.node.querySelector(".jp-RenderedPlotly").scrollIntoView({ block: "center" })`);
        result.screenshots.push(await shot("reopened"));
        if (result.reopened.charts) {
          const c = await checkChart(page, (await markCharts(page)) - 1);
          result.reopened.interactive = c.drawn && c.tooltip ? 1 : 0;
          result.screenshots.push(await shot("reopened-hover"));
        }
        if (result.reopened.savedPlotlyOutputs !== result.plotlyOutputs) problems.push(`the saved notebook has ${result.reopened.savedPlotlyOutputs} plotly output(s), ${result.plotlyOutputs} expected`);
        if (result.reopened.charts !== result.plotlyOutputs || result.reopened.images < result.plotlyOutputs) problems.push(`reopened: ${result.reopened.charts} chart(s), ${result.reopened.images} shown as images, ${result.plotlyOutputs} expected`);
      } catch (err) {
        problems.push((err as Error).message);
        result.screenshots.push(await shot("failure").catch(() => ""));
      } finally {
        result.seconds = (Date.now() - start) / 1000;
        const inactive = consoleErrors.filter((e) => /failed to activate/.test(e));
        if (inactive.length) problems.push(`JupyterLab plugins failed: ${inactive.join(" | ")}`);
        if (problems.length && consoleErrors.length) problems.push(`browser console: ${consoleErrors.slice(0, 5).join(" | ")}`);
        if (process.env.WORKBOOK_DEBUG_BROWSER) console.error(consoleErrors.join("\n"));
        // Close the notebook's session (its kernel) before the next one.
        try {
          const sessions = (await (await fetch(`${server.base}/api/sessions?token=${server.token}`)).json()) as { id: string }[];
          await Promise.all(sessions.map((x) => fetch(`${server!.base}/api/sessions/${x.id}?token=${server!.token}`, { method: "DELETE" })));
        } catch {
          /* the server is gone: reported by the next notebook */
        }
        await page.close().catch(() => undefined);
      }
      log(`${name}: ${problems.length ? `FAILED: ${problems.join("; ")}` : "ok"} (${result.seconds.toFixed(0)} s)`);
      results.push(result);
    }
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (process.env.WORKBOOK_DEBUG_BROWSER && server) console.error(server.log());
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return results;
}

export { LAB_APP_DIR };
