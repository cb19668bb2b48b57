// npm run check:browser: the interactive charts in a real browser. Starts the
// classic Jupyter Notebook (Debian's jupyter-notebook) on a free local port
// with the project's kernel, opens a copy of notebook 01 in headless Chromium
// (puppeteer-core), runs all cells (WORKBOOK_PROFILE=smoke), and checks that
// every code cell ran without an error output and that plotly charts were
// drawn; saves a screenshot to outputs/browser-check.png.
//
//   npm run check:browser                      # notebooks/01_baseline.ipynb
//   npm run check:browser -- path/to/other.ipynb
import { spawn, ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findChromiumBinary, findJupyter, INSTALL_HINTS } from "./jupyter";
import { freePorts } from "./kernelManager";
import { JUPYTER_PATH, ROOT, setupNotebooks } from "./setup";

/** Chromium's flags: headless, no GPU, nothing fetched from the network, a fresh profile each run. */
export const CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

export interface BrowserCheckResult {
  notebook: string;
  codeCells: number;
  executionCounts: (number | string | null)[];
  /** Error outputs plus execute replies whose status was not ok. */
  errorOutputs: number;
  plotlyCharts: number;
  /** Each code cell's text output as the page shows it (streams and text/plain, joined). */
  outputTexts: string[];
  /** Each chart's axis ranges as plotly drew them. */
  ranges: { x: number[]; y: number[] }[];
  screenshot: string;
  seconds: number;
}

/** Why the check cannot run here (one line), or undefined when it can. */
export function browserCheckUnavailable(): string | undefined {
  if (!findJupyter().notebook) return INSTALL_HINTS.notebook;
  if (!findChromiumBinary()) return INSTALL_HINTS.chromium;
  return undefined;
}

/**
 * The environment that keeps Jupyter (and IPython, which the Notebook
 * imports) out of the user's folders: config, data (notebook_secret,
 * nbsignatures.db), runtime files and the IPython folder, all under `scratch`.
 *
 * @example spawn("jupyter-notebook", args, { env: { ...process.env, ...scratchJupyterEnv(fs.mkdtempSync(tmp)) } });
 */
export function scratchJupyterEnv(scratch: string): Record<string, string> {
  if (!path.isAbsolute(scratch)) throw new Error(`scratchJupyterEnv needs an absolute folder, got ${JSON.stringify(scratch)}`);
  return {
    JUPYTER_CONFIG_DIR: path.join(scratch, "config"),
    JUPYTER_DATA_DIR: path.join(scratch, "data"),
    JUPYTER_RUNTIME_DIR: path.join(scratch, "runtime"),
    IPYTHONDIR: path.join(scratch, "ipython"),
  };
}

/**
 * process.env with HOME and the XDG folders under `scratch`: Chromium writes
 * crash-report settings and a dconf cache there even with its own profile
 * folder.
 *
 * @example puppeteer.launch({ env: scratchHomeEnv(scratch) });
 */
export function scratchHomeEnv(scratch: string): Record<string, string | undefined> {
  if (!path.isAbsolute(scratch)) throw new Error(`scratchHomeEnv needs an absolute folder, got ${JSON.stringify(scratch)}`);
  const home = path.join(scratch, "home");
  return { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, ".config"), XDG_CACHE_HOME: path.join(home, ".cache"), XDG_DATA_HOME: path.join(home, ".local", "share") };
}

/**
 * Resolves once `url` answers 200; throws when the server exits first or
 * `timeoutMs` passes (the message names `what`).
 *
 * @example await waitForServer(`${base}/api?token=${token}`, server, 60_000, "jupyter-notebook");
 */
export async function waitForServer(url: string, server: ChildProcess, timeoutMs: number, what = "jupyter-notebook"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`${what} exited (code ${server.exitCode}) before it served ${url}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not answer ${url} in ${timeoutMs / 1000} s`);
}

/** A classic Notebook server started by {@link startClassicNotebook}. */
export interface ClassicNotebookServer {
  /** http://127.0.0.1:PORT */
  base: string;
  token: string;
  /** The page that opens `name` (a file in the served folder). */
  notebookUrl(name: string): string;
  /** The last 4,000 characters of the server's stderr. */
  log(): string;
  /** Shuts down its kernels, then the server (SIGTERM, SIGKILL after 15 s). */
  stop(): Promise<void>;
}

/**
 * Starts the classic Notebook on a free local port, serving `dir`, with the
 * project's kernel and every Jupyter folder under `scratch`: a server started
 * with a new scratch folder has a new notebook secret, so it does not trust
 * notebooks that another one signed.
 *
 * @example const server = await startClassicNotebook({ dir, scratch }); await page.goto(server.notebookUrl("01_baseline.ipynb")); await server.stop();
 */
export async function startClassicNotebook(options: { dir: string; scratch: string; profile?: string }): Promise<ClassicNotebookServer> {
  const [port] = await freePorts(1);
  const token = randomUUID().replaceAll("-", "");
  const server = spawn(findJupyter().notebook!, ["--no-browser", "--ip=127.0.0.1", `--port=${port}`, "--port-retries=0", `--notebook-dir=${options.dir}`, `--NotebookApp.token=${token}`, "--NotebookApp.password=", ...(process.getuid?.() === 0 ? ["--allow-root"] : [])], {
    env: {
      ...process.env,
      JUPYTER_PATH: [JUPYTER_PATH, process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter),
      // Nothing of the user's Jupyter is read or written: config, data (notebook_secret,
      // nbsignatures.db), runtime files and IPython's folder all live in the scratch folder.
      ...scratchJupyterEnv(options.scratch),
      WORKBOOK_PROFILE: options.profile ?? process.env.WORKBOOK_PROFILE ?? "smoke",
      PYDEVD_DISABLE_FILE_VALIDATION: "1",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let serverLog = "";
  server.stderr!.on("data", (d) => (serverLog = (serverLog + d).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    // Stop the kernels through the server, then the server itself.
    try {
      const kernels = (await (await fetch(`${base}/api/kernels?token=${token}`)).json()) as { id: string }[];
      await Promise.all(kernels.map((k) => fetch(`${base}/api/kernels/${k.id}?token=${token}`, { method: "DELETE" })));
    } catch {
      /* server already gone */
    }
    if (server.exitCode === null) {
      server.kill("SIGTERM");
      await Promise.race([new Promise((r) => server.once("exit", r)), new Promise((r) => setTimeout(r, 15_000))]);
      if (server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
    }
  };
  try {
    await waitForServer(`${base}/api?token=${token}`, server, 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { base, token, notebookUrl: (name) => `${base}/notebooks/${encodeURIComponent(name)}?token=${token}`, log: () => serverLog, stop };
}

/**
 * Headless Chromium (puppeteer-core) with its profile, HOME and caches under
 * `scratch`, a 1280×900 viewport.
 *
 * @example const browser = await launchChromium(scratch); const page = await browser.newPage();
 */
export async function launchChromium(scratch: string): Promise<import("puppeteer-core").Browser> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const puppeteer = require("puppeteer-core") as typeof import("puppeteer-core");
  return puppeteer.launch({ executablePath: findChromiumBinary()!, headless: true, args: CHROMIUM_FLAGS, userDataDir: path.join(scratch, "chromium"), env: scratchHomeEnv(scratch), defaultViewport: { width: 1280, height: 900 } });
}

/** What the open notebook shows: each non-empty code cell's prompt, and the errors so far. */
export interface NotebookPageState {
  /** A number once the cell ran, "*" while it is queued or running, null before it ran. */
  counts: (number | string | null)[];
  /** Error outputs plus execute replies whose status was not ok since {@link whenKernelConnected}. */
  errors: number;
}

/**
 * Waits until the open notebook's kernel is connected, then counts failed
 * execute replies from then on (tslab reports an exception on stderr with
 * status "error", not as an error output).
 *
 * @example await page.goto(server.notebookUrl(name)); await whenKernelConnected(page);
 */
export async function whenKernelConnected(page: import("puppeteer-core").Page, timeoutMs = 120_000): Promise<void> {
  await page.waitForFunction("window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()", { timeout: timeoutMs });
  await page.evaluate(`(() => {
    const k = Jupyter.notebook.kernel, orig = k._handle_shell_reply.bind(k);
    window.__failedReplies = 0;
    k._handle_shell_reply = (reply) => {
      if (reply.header.msg_type === "execute_reply" && reply.content.status !== "ok") window.__failedReplies++;
      return orig(reply);
    };
  })()`);
}

/**
 * The open notebook's prompts and errors.
 *
 * @example const { counts, errors } = await notebookPageState(page);
 */
export function notebookPageState(page: import("puppeteer-core").Page): Promise<NotebookPageState> {
  return page.evaluate(`(() => {
    const cells = Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code" && c.get_text().trim());
    return {
      counts: cells.map((c) => c.input_prompt_number ?? null),
      errors: (window.__failedReplies ?? 0) + cells.reduce((n, c) => n + c.output_area.outputs.filter((o) => o.output_type === "error").length, 0),
    };
  })()`) as Promise<NotebookPageState>;
}

/**
 * Polls the prompts until no cell is queued or running (tslab's busy/idle
 * status goes idle after the first cell of a Run All, so it cannot be
 * waited on), or until the timeout; returns the last state.
 *
 * @example await page.evaluate("Jupyter.notebook.execute_all_cells()"); const s = await waitForPrompts(page, 600_000);
 */
export async function waitForPrompts(page: import("puppeteer-core").Page, timeoutMs: number): Promise<NotebookPageState> {
  const deadline = Date.now() + timeoutMs;
  let s = await notebookPageState(page);
  while (Date.now() < deadline) {
    s = await notebookPageState(page);
    if (!s.counts.includes("*")) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return s;
}

/**
 * Runs the check; throws with the reason when a cell did not run, an error
 * was shown, or no chart was drawn (unless `expectCharts: false`, for a
 * notebook without charts such as 07). Everything it starts is stopped.
 */
export async function checkBrowser(options: { notebook?: string; screenshot?: string; profile?: string; timeoutMs?: number; expectCharts?: boolean } = {}): Promise<BrowserCheckResult> {
  const unavailable = browserCheckUnavailable();
  if (unavailable) throw new Error(unavailable);
  const source = path.resolve(options.notebook ?? path.join(ROOT, "notebooks", "01_baseline.ipynb"));
  if (!fs.existsSync(source)) throw new Error(`Notebook not found: ${source}`);
  const screenshot = options.screenshot ?? path.join(ROOT, "outputs", "browser-check.png");
  const timeoutMs = options.timeoutMs ?? 600_000;
  const start = Date.now();
  setupNotebooks({ quiet: true });
  // A copy inside the project (so "workbook" resolves), never the committed notebook: the Notebook autosaves.
  fs.mkdirSync(path.join(ROOT, "outputs"), { recursive: true });
  const work = fs.mkdtempSync(path.join(ROOT, "outputs", "browser-check-"));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-browser-"));
  const name = path.basename(source);
  fs.copyFileSync(source, path.join(work, name));
  let server: ClassicNotebookServer | undefined;
  let browser: import("puppeteer-core").Browser | undefined;
  try {
    server = await startClassicNotebook({ dir: work, scratch, profile: options.profile });
    browser = await launchChromium(scratch);
    const page = await browser.newPage();
    await page.goto(server.notebookUrl(name), { waitUntil: "load", timeout: 60_000 });
    await whenKernelConnected(page);
    await page.evaluate("Jupyter.notebook.execute_all_cells()");
    const s = await waitForPrompts(page, timeoutMs);
    const texts = (await page.evaluate(`Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code" && c.get_text().trim()).map((c) => c.output_area.outputs.map((o) => o.text ?? (o.data && o.data["text/plain"]) ?? "").join(""))`)) as string[];
    // Charts draw right after their cell; give the last one a moment.
    await page.waitForSelector(".js-plotly-plot .plot-container", { timeout: 10_000 }).catch(() => undefined);
    const charts = (await page.evaluate(`Array.from(document.querySelectorAll(".js-plotly-plot")).filter((gd) => gd.querySelector(".plot-container")).map((gd) => ({ x: gd._fullLayout.xaxis.range, y: gd._fullLayout.yaxis.range }))`)) as { x: number[]; y: number[] }[];
    fs.mkdirSync(path.dirname(screenshot), { recursive: true });
    const chart = await page.$(".js-plotly-plot");
    if (chart) await chart.scrollIntoView();
    await page.screenshot({ path: screenshot as `${string}.png`, fullPage: false });
    const result: BrowserCheckResult = { notebook: source, codeCells: s.counts.length, executionCounts: s.counts, errorOutputs: s.errors, plotlyCharts: charts.length, outputTexts: texts, ranges: charts, screenshot, seconds: (Date.now() - start) / 1000 };
    const problems: string[] = [];
    const notRun = s.counts.map((c, i) => (typeof c === "number" ? -1 : i + 1)).filter((i) => i > 0);
    if (notRun.length) problems.push(`code cells ${notRun.join(", ")} did not run (prompts ${JSON.stringify(s.counts)})`);
    if (s.errors) problems.push(`${s.errors} cell(s) failed or showed an error`);
    if (!charts.length && options.expectCharts !== false) problems.push("no plotly chart (.js-plotly-plot .plot-container) was drawn");
    if (problems.length) throw Object.assign(new Error(`Browser check of ${name} failed: ${problems.join("; ")} (screenshot: ${path.relative(ROOT, screenshot)})`), { result });
    return result;
  } finally {
    await browser?.close().catch(() => undefined);
    const serverLog = server?.log() ?? "";
    await server?.stop();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
    if (process.env.WORKBOOK_DEBUG_BROWSER) console.error(serverLog);
  }
}
