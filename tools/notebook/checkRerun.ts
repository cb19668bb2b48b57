// npm run check:rerun: what a user does to a notebook after Run All, in the
// classic Notebook and headless Chromium. For each notebook (a copy under
// outputs/): Run All (WORKBOOK_PROFILE=smoke), re-run every code cell once in
// order, then a few out of order, save; reopen it (trusted: the same server
// signed it on save) and check every chart is drawn by plotly with its
// modebar; then open the saved file in a second server with a new notebook
// secret (untrusted, as a notebook from someone else) and check every chart
// still shows, as its static image, and nothing shows an error.
//
//   npm run check:rerun                             # every notebooks/NN_*.ipynb
//   npm run check:rerun -- notebooks/06_pruning.ipynb
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PLOTLY_MIME } from "../../lib/plotting/figure";
import { browserCheckUnavailable, ClassicNotebookServer, launchChromium, NotebookPageState, notebookPageState, startClassicNotebook, waitForPrompts, whenKernelConnected } from "./checkBrowser";
import { readNotebook } from "./nbformat";
import { ROOT, setupNotebooks } from "./setup";

export interface RerunCheckResult {
  notebook: string;
  codeCells: number;
  /** Error outputs or failed replies after Run All. */
  runAllErrors: number;
  /** The same after every cell was re-run in order, then `outOfOrder`. */
  rerunErrors: number;
  /** The code cells (1-based, among non-empty code cells) re-run out of order, in that order. */
  outOfOrder: number[];
  /** Chart outputs in the saved file. */
  charts: number;
  /** Reopened in the server that saved it. */
  trusted: { trusted: boolean; interactive: number; errors: number };
  /** Opened in a server with another secret: static images that loaded. */
  untrusted: { trusted: boolean; images: number; errors: number };
  /** Table lines (console.table) wider than the output area, which the browser wraps; and how many characters fit. */
  wideTableLines: { fit: number | null; lines: string[] };
  /** The saved notebook's size in bytes. */
  bytes: number;
  screenshots: string[];
  seconds: number;
}

/**
 * The cells to re-run out of order after an in-order pass: the last, the
 * first, the middle and the second, without repeats (1-based).
 *
 * @example outOfOrderCells(9); // [9, 1, 5, 2]
 */
export function outOfOrderCells(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`outOfOrderCells: need a count of cells, got ${n}`);
  return [...new Set([n, 1, Math.ceil(n / 2), 2].filter((i) => i >= 1 && i <= n))];
}

/** Runs code cell `i` (1-based among non-empty code cells) and waits until it has a new prompt. */
async function rerunCell(page: import("puppeteer-core").Page, i: number, timeoutMs: number): Promise<NotebookPageState> {
  const run = async () => {
    await page.evaluate(`Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code" && c.get_text().trim())[${i - 1}].execute()`);
    return waitForPrompts(page, timeoutMs);
  };
  const state = await run();
  if (state.counts[i - 1] !== null) return state;
  // No prompt number and not running: the kernel aborted the request without running it. tslab aborts what
  // arrives right after a failing cell (seen twice in a row in CI), which says nothing of this cell: run it once more.
  await new Promise((r) => setTimeout(r, 1000));
  return run();
}

/** The first line of code cell `i`'s error output or stderr, for the message. */
const cellErrorText = (page: import("puppeteer-core").Page, i: number) =>
  page.evaluate(`(() => {
    const c = Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code" && c.get_text().trim())[${i - 1}];
    const o = c.output_area.outputs.find((o) => o.output_type === "error" || (o.output_type === "stream" && o.name === "stderr"));
    if (!o) return "no error output";
    return (o.output_type === "error" ? o.ename + ": " + o.evalue : String(o.text)).split("\\n")[0].slice(0, 200);
  })()`) as Promise<string>;

/** How long a page may take to load: generous, as a two-core machine running other work was seen to need over a minute. */
const NAVIGATION_MS = 180_000;

/** Opens the notebook and waits for it to be loaded (outputs rendered); the kernel is not needed. */
async function openLoaded(page: import("puppeteer-core").Page, url: string): Promise<void> {
  await page.goto(url, { waitUntil: "load", timeout: NAVIGATION_MS });
  await page.waitForFunction("window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded", { timeout: NAVIGATION_MS });
}

/** Error outputs shown in the open notebook (no kernel needed). */
const shownErrors = (page: import("puppeteer-core").Page) => page.evaluate(`Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code").reduce((n, c) => n + c.output_area.outputs.filter((o) => o.output_type === "error").length, 0)`) as Promise<number>;

/** Polls `count` until it reaches `want` or the timeout; returns the last count. */
async function waitForCount(count: () => Promise<number>, want: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let n = await count();
  while (n < want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    n = await count();
  }
  return n;
}

/**
 * Runs the re-run / save / reopen check on one notebook; throws with every
 * problem found (the result rides on the error). Everything it starts is
 * stopped and its copies removed, the screenshots kept.
 *
 * @example const r = await checkRerun({ notebook: "notebooks/06_pruning.ipynb" }); console.log(r.rerunErrors, r.trusted.interactive, r.untrusted.images);
 */
export async function checkRerun(options: { notebook: string; screenshots?: string; profile?: string; timeoutMs?: number }): Promise<RerunCheckResult> {
  const unavailable = browserCheckUnavailable();
  if (unavailable) throw new Error(unavailable);
  const source = path.resolve(options.notebook);
  if (!fs.existsSync(source)) throw new Error(`Notebook not found: ${source}`);
  const timeoutMs = options.timeoutMs ?? 900_000;
  const shots = options.screenshots ?? path.join(ROOT, "outputs", "browser-rerun");
  const start = Date.now();
  setupNotebooks({ quiet: true });
  fs.mkdirSync(shots, { recursive: true });
  // A copy inside the project (so "workbook" and plotly.js resolve), never the committed notebook.
  const work = fs.mkdtempSync(path.join(ROOT, "outputs", "browser-rerun-"));
  const scratchA = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-rerun-"));
  const scratchB = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-rerun-"));
  const name = path.basename(source);
  const stem = name.replace(/\.ipynb$/, "");
  const file = path.join(work, name);
  fs.copyFileSync(source, file);
  const servers: ClassicNotebookServer[] = [];
  let browser: import("puppeteer-core").Browser | undefined;
  const problems: string[] = [];
  const screenshots: string[] = [];
  const shoot = async (page: import("puppeteer-core").Page, label: string) => {
    const chart = (await page.$(".js-plotly-plot")) ?? (await page.$(".output_area img"));
    if (chart) await chart.scrollIntoView();
    const to = path.join(shots, `${stem}-${label}.png`) as `${string}.png`;
    await page.screenshot({ path: to });
    screenshots.push(to);
  };
  try {
    const a = await startClassicNotebook({ dir: work, scratch: scratchA, profile: options.profile });
    servers.push(a);
    browser = await launchChromium(scratchA);
    const page = await browser.newPage();
    await page.goto(a.notebookUrl(name), { waitUntil: "load", timeout: NAVIGATION_MS });
    await whenKernelConnected(page);
    await page.evaluate("Jupyter.notebook.execute_all_cells()");
    const afterRunAll = await waitForPrompts(page, timeoutMs);
    const n = afterRunAll.counts.length;
    const notRun = afterRunAll.counts.map((c, i) => (typeof c === "number" ? -1 : i + 1)).filter((i) => i > 0);
    if (notRun.length) problems.push(`Run All: code cells ${notRun.join(", ")} did not run`);
    if (afterRunAll.errors) problems.push(`Run All: ${afterRunAll.errors} error(s)`);
    // Every cell once, in order; then a few out of order. Each waits for its own new prompt.
    let state = afterRunAll;
    const failedAt: string[] = [];
    const order = [...Array.from({ length: n }, (_, i) => i + 1), ...outOfOrderCells(n)];
    for (const [k, i] of order.entries()) {
      const before = state.errors;
      state = await rerunCell(page, i, timeoutMs);
      const where = `cell ${i}${k >= n ? " (out of order)" : ""}`;
      if (typeof state.counts[i - 1] !== "number") failedAt.push(`${where} did not finish (prompt ${JSON.stringify(state.counts[i - 1])}: ${await cellErrorText(page, i)})`);
      else if (state.errors > before) failedAt.push(`${where}: ${state.errors - before} error(s) (${await cellErrorText(page, i)})`);
      if (failedAt.length >= 3) break; // a broken kernel fails every later cell the same way
    }
    if (failedAt.length) problems.push(`re-run: ${failedAt.join("; ")}`);
    await shoot(page, "rerun");
    // Save through the frontend, as the user does (the server signs it: trusted from now on in this server).
    await page.evaluate("Jupyter.notebook.save_notebook()");
    await page.waitForFunction("!Jupyter.notebook.dirty", { timeout: 60_000 }).catch(() => undefined);
    const saved = readNotebook(file);
    const charts = saved.cells.reduce((k, c) => k + ((c.outputs ?? []) as { data?: Record<string, unknown> }[]).filter((o) => o.data && PLOTLY_MIME in o.data).length, 0);
    const bytes = fs.statSync(file).size;
    // Reopen, trusted.
    await openLoaded(page, a.notebookUrl(name));
    const interactiveCount = () => page.evaluate(`document.querySelectorAll(".js-plotly-plot .plot-container .modebar").length`) as Promise<number>;
    const interactive = await waitForCount(interactiveCount, charts, 60_000);
    const trusted = { trusted: (await page.evaluate("Jupyter.notebook.trusted")) as boolean, interactive, errors: await shownErrors(page) };
    await shoot(page, "reopened-trusted");
    if (!trusted.trusted) problems.push("reopened in the server that saved it, the notebook is not trusted");
    if (interactive < charts) problems.push(`reopened (trusted): ${interactive} of ${charts} charts interactive (a plotly chart with its modebar)`);
    if (trusted.errors) problems.push(`reopened (trusted): ${trusted.errors} error output(s)`);
    const wideTableLines = (await page.evaluate(`(() => {
      const pre = document.querySelector(".output_area pre");
      if (!pre) return { fit: null, lines: [] };
      const probe = document.createElement("span");
      probe.textContent = "x".repeat(100);
      pre.appendChild(probe);
      const charWidth = probe.getBoundingClientRect().width / 100;
      probe.remove();
      const fit = Math.floor(pre.clientWidth / charWidth);
      const lines = [];
      for (const c of Jupyter.notebook.get_cells()) for (const o of (c.output_area ? c.output_area.outputs : [])) {
        if (o.output_type === "stream") for (const l of String(o.text).split("\\n")) if (/^[┌│├└]/.test(l) && l.length > fit) lines.push(l.slice(0, 60));
      }
      return { fit, lines };
    })()`)) as { fit: number | null; lines: string[] };
    if (wideTableLines.lines.length) problems.push(`${wideTableLines.lines.length} table line(s) wider than the output area (${wideTableLines.fit} characters fit), e.g. ${JSON.stringify(wideTableLines.lines[0])}`);
    await browser.close();
    await a.stop();
    // Another server, another secret: the saved file is a notebook from someone else.
    const b = await startClassicNotebook({ dir: work, scratch: scratchB, profile: options.profile });
    servers.push(b);
    browser = await launchChromium(scratchB);
    const page2 = await browser.newPage();
    await openLoaded(page2, b.notebookUrl(name));
    const imageCount = () => page2.evaluate(`Array.from(document.querySelectorAll(".output_area img")).filter((img) => img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width > 0).length`) as Promise<number>;
    const images = await waitForCount(imageCount, charts, 30_000);
    const untrusted = { trusted: (await page2.evaluate("Jupyter.notebook.trusted")) as boolean, images, errors: await shownErrors(page2) };
    await shoot(page2, "untrusted");
    if (untrusted.trusted) problems.push("opened in a server with another secret, the notebook is still trusted (the check proves nothing)");
    if (images < charts) problems.push(`untrusted: ${images} of ${charts} charts visible as images`);
    if (untrusted.errors) problems.push(`untrusted: ${untrusted.errors} error output(s)`);
    if (!charts && /showFigure\(/.test(fs.readFileSync(source, "utf8"))) problems.push("the notebook calls showFigure but the saved file holds no chart");
    const result: RerunCheckResult = { notebook: source, codeCells: n, runAllErrors: afterRunAll.errors, rerunErrors: state.errors - afterRunAll.errors, outOfOrder: outOfOrderCells(n), charts, trusted, untrusted, wideTableLines, bytes, screenshots, seconds: (Date.now() - start) / 1000 };
    if (problems.length) throw Object.assign(new Error(`Re-run check of ${name} failed: ${problems.join("; ")}`), { result });
    return result;
  } finally {
    await browser?.close().catch(() => undefined);
    for (const s of servers) await s.stop();
    if (process.env.WORKBOOK_DEBUG_BROWSER) for (const s of servers) console.error(s.log());
    // Chromium's helpers may still be writing its profile for a moment after close.
    for (const d of [work, scratchA, scratchB]) fs.rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}
