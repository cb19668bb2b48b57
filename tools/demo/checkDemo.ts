// The demo page in headless Chromium against the Node pipeline on the same
// ONNX file (npm run check:demo; test/tools/demo.test.ts on a tiny model).
//
// What is compared: the page runs transformers.js's tokenizer and model
// (ONNX Runtime Web, WebAssembly, one thread) with the Node pipeline's rules
// (truncation keeping [SEP], softmax, the saved out-of-scope fallback);
// Node runs pipeline(task, folder, { dtype: "q8" }) (onnxruntime-node, one
// intra-op thread) on the same onnx/model_quantized.onnx (its sha256 is
// checked). Both tokenizers give the same ids (test/tokenizers), so a label
// that differs is a real disagreement: the two runtimes' int8 kernels
// (dynamic quantization of activations, integer matmuls) rounding a query
// across the decision boundary (two intents, or the fallback threshold).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { launchChromium } from "../notebook/checkBrowser";
import { INSTALL_HINTS } from "../notebook/jupyter";
import { DEMO_DEFAULT_MODEL, DEMO_OUTPUTS, DemoInfo, DemoServer, demoModelFolder, prepareDemoRoot, serveDemo } from "./server";
import { sha256Hex, writeJsonAtomic } from "../../lib/utils/fs";
import { findChromiumBinary } from "../../lib/utils/which";
import { initBackend } from "../../lib/backend";
import { pipeline } from "../../lib/pipelines";

// The page's globals, in the functions page.evaluate runs there (tsconfig has no DOM library).
declare const document: any;
declare const window: any;

/** One query's result in the page (window.demo.classify). */
export interface PageResult {
  label: string;
  score: number;
  fallback: boolean;
  /** The model's own best label and probability, before the fallback. */
  raw: { label: string; score: number };
  /** The ids the model ran on. */
  ids: number[];
  tokens: number;
  truncated: boolean;
  /** Tokenize, run, softmax and fallback, in the page. */
  ms: number;
  /** Of which the model's forward pass (ONNX Runtime Web's session.run, through transformers.js). */
  runMs: number;
}

/** One side's answer to a query: the final label and score (after the fallback), and the model's own argmax. */
export interface DemoAnswer {
  label: string;
  score: number;
  fallback: boolean;
  raw: { label: string; score: number };
}

/** One query, in the page and in Node. */
export interface DemoRow {
  index: number;
  text: string;
  browser: DemoAnswer;
  node: DemoAnswer;
}

export type DemoDisagreement = DemoRow;

export interface DemoCheckResult {
  model: string;
  file: string;
  modelMb: number;
  sha256: string;
  url: string;
  queries: number;
  /** Same final label (after the fallback) in the page and in Node. */
  agreement: number;
  agreed: number;
  /** Same argmax before the fallback. */
  rawAgreement: number;
  /** Largest difference of the top probability, over queries with the same argmax. */
  maxScoreDiff: number;
  /** Queries where the fallback fired (page, Node). */
  fallbacks: { browser: number; node: number };
  /** Queries whose ids in the page (transformers.js's tokenizer, cut keeping [SEP]) differ from the Node pipeline's (must be none). */
  idsMismatches: number;
  /** Queries longer than the model's positions (truncated keeping [SEP]). */
  truncated: number;
  /** Page open (navigation start) to model ready, measured by Node around page.goto; and the page's own figure (script start to ready). */
  loadMs: number;
  pageLoadMs: number;
  /** Per query in the page: tokenize, run, softmax and fallback (performance.now, 0.1 ms resolution without cross-origin isolation). */
  browserMs: LatencyStats;
  /** Of which the forward pass alone. */
  browserRunMs: LatencyStats;
  /** Per query in Node: the whole pipeline call. */
  nodeMs: LatencyStats;
  /** The machine's 1-minute load average when the check ended (the timings are wall clock). */
  loadAverage: number;
  /** Accuracy against the gold labels, when given. */
  accuracy?: { browser: number; node: number };
  /** The page's answer to the first query typed into its text box. */
  typed: { text: string; shown: string };
  disagreements: DemoDisagreement[];
  /** Every query's answers, in order. */
  rows: DemoRow[];
  screenshot?: string;
  /** Requests that left the demo's server (must be none). */
  remoteRequests: string[];
  seconds: number;
}

/** Why the check cannot run here (no Chromium on PATH), or undefined. */
export function demoCheckUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findChromiumBinary(env) ? undefined : INSTALL_HINTS.chromium;
}

/** Per-query latencies (ms): the first query (warm-up), median, 90th percentile, mean and fastest. */
export interface LatencyStats {
  first: number;
  median: number;
  p90: number;
  mean: number;
  min: number;
}

function stats(ms: number[]): LatencyStats {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { first: ms[0], median: q(0.5), p90: q(0.9), mean: ms.reduce((a, b) => a + b, 0) / ms.length, min: s[0] };
}

export interface DemoCheckOptions {
  /** A model folder (default: the pruned, int8 student); exported with exportOnnxFolder when it has no onnx/model_quantized.onnx. */
  modelDir?: string;
  queries: readonly string[];
  /** Gold labels of the queries, for the accuracy figures. */
  labels?: readonly string[];
  /** Where results.json and the screenshot go (default outputs/demo); null writes nothing. */
  outDir?: string | null;
  /** Fail (throw) below this agreement. Default 0.995. */
  minAgreement?: number;
  timeoutMs?: number;
}

/**
 * Serves the demo, opens it in headless Chromium, types the first query in
 * its text box, classifies every query one at a time in the page, and the
 * same queries one at a time with the Node pipeline on the same ONNX file.
 * Throws below `minAgreement`, on any request that leaves the server, or on
 * a page error.
 */
export async function checkDemo(options: DemoCheckOptions): Promise<DemoCheckResult> {
  const started = Date.now();
  const { queries } = options;
  if (queries.length === 0) throw new Error("checkDemo: no queries");
  if (options.labels && options.labels.length !== queries.length) throw new Error(`checkDemo: ${options.labels.length} labels for ${queries.length} queries`);
  const unavailable = demoCheckUnavailable();
  if (unavailable) throw new Error(`checkDemo: ${unavailable}`);
  const outDir = options.outDir === undefined ? DEMO_OUTPUTS : options.outDir;
  // Chromium's profile, the served root and (with no outDir) an exported model folder: removed at the end.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "demo-check-"));
  let server: DemoServer | undefined;
  try {
    const folder = await demoModelFolder(options.modelDir ?? DEMO_DEFAULT_MODEL, outDir ? path.join(outDir, "models") : path.join(scratch, "models"));
    const root = path.join(scratch, "root");
    const info: DemoInfo = await prepareDemoRoot(folder, root);
    const nodeFile = path.join(folder, info.file);
    if (sha256Hex(new Uint8Array(fs.readFileSync(nodeFile))) !== info.sha256) throw new Error(`checkDemo: the served ${info.file} differs from ${nodeFile}`);
    server = await serveDemo(root);
    return await runInChromium(options, { scratch, folder, info, nodeFile, server, outDir, started });
  } finally {
    await server?.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function runInChromium(options: DemoCheckOptions, ctx: { scratch: string; folder: string; info: DemoInfo; nodeFile: string; server: DemoServer; outDir: string | null; started: number }): Promise<DemoCheckResult> {
  const { scratch, folder, info, nodeFile, server, outDir, started } = ctx;
  const { queries } = options;
  const browser = await launchChromium(scratch);
  const remoteRequests: string[] = [];
  const pageErrors: string[] = [];
  try {
    const page = await browser.newPage();
    page.on("request", (r) => {
      const u = r.url();
      if (!u.startsWith(server.url) && !u.startsWith(`blob:${server.url}`) && !u.startsWith("data:")) remoteRequests.push(u);
    });
    page.on("pageerror", (e) => pageErrors.push(String((e as Error).message ?? e)));
    const timeout = options.timeoutMs ?? 120_000;
    const t0 = performance.now();
    await page.goto(server.url, { waitUntil: "domcontentloaded", timeout });
    await page.waitForFunction(() => document.body.dataset.ready, { timeout });
    const loadMs = performance.now() - t0;
    const state = await page.evaluate(() => ({ ready: document.body.dataset.ready, error: window.demoError as string | undefined, loadMs: window.demo?.loadMs as number | undefined }));
    if (state.ready !== "true") throw new Error(`checkDemo: the page could not load the model: ${state.error}`);

    // The text box, as a user would: type, Enter, read what the page shows.
    await page.type("#query", queries[0]);
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.body.dataset.shown === "1" || document.getElementById("status").className === "error", { timeout });
    const shown = await page.$eval("#label", (e) => e.textContent ?? "");

    const results = (await page.evaluate(async (qs: readonly string[]) => {
      const out = [];
      for (const q of qs) out.push(await window.demo.classify(q));
      return out;
    }, queries)) as PageResult[];
    let screenshot: string | undefined;
    if (outDir) {
      fs.mkdirSync(outDir, { recursive: true });
      screenshot = path.join(outDir, "demo.png");
      await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true });
    }
    if (pageErrors.length) throw new Error(`checkDemo: the page threw: ${pageErrors.join("; ")}`);
    if (remoteRequests.length) throw new Error(`checkDemo: the page fetched from outside the demo server: ${remoteRequests.join(", ")}`);

    // Node: the same file through pipeline() (onnxruntime-node), one query at a time.
    await initBackend({ quiet: true });
    // The page applies a saved detector that reads the logits (softmax, energy); for one that reads pooled features it applies the softmax threshold, and so does Node here.
    const pageDetector = (await page.evaluate(() => window.demo.detectorKind)) as string;
    const loaded = pipeline("text-classification", folder, { dtype: "q8" });
    const pipe = loaded.oosDetector?.needsFeatures ? (loaded.dispose(), pipeline("text-classification", folder, { dtype: "q8", oosDetector: null })) : loaded;
    if ((pipe.oosDetector?.kind ?? "softmax") !== pageDetector) throw new Error(`checkDemo: the page applies the ${pageDetector} rule but Node's pipeline the ${pipe.oosDetector?.kind ?? "softmax"} one`);
    const nodeIds = queries.map((q) => pipe.tokenizer.call([q], { maxLength: pipe.options.maxLength }).input_ids[0]);
    const node: { label: string; score: number; fallback: boolean; raw: { label: string; score: number }; ms: number }[] = [];
    try {
      for (const q of queries) {
        const s = performance.now();
        const [r] = await pipe(q);
        const ms = performance.now() - s;
        // The model's own argmax: with the fallback off, an unreadable text still gets an oos row first (with the model's own oos probability), so take the best-scored of the top two rows.
        const raw = (await pipe(q, { oosThreshold: null, topK: 2 })).reduce((a, b) => (b.score > a.score ? b : a));
        node.push({ label: r.label, score: r.score, fallback: r.fallback === true, raw: { label: raw.label, score: raw.score }, ms });
      }
    } finally {
      pipe.dispose();
    }

    const rows: DemoRow[] = results.map((b, i) => ({ index: i, text: queries[i], browser: { label: b.label, score: b.score, fallback: b.fallback, raw: b.raw }, node: { label: node[i].label, score: node[i].score, fallback: node[i].fallback, raw: node[i].raw } }));
    const disagreements: DemoDisagreement[] = rows.filter((r) => r.browser.label !== r.node.label);
    let rawSame = 0;
    let maxScoreDiff = 0;
    results.forEach((b, i) => {
      const n = node[i];
      if (b.raw.label === n.raw.label) {
        rawSame++;
        maxScoreDiff = Math.max(maxScoreDiff, Math.abs(b.raw.score - n.raw.score));
      }
    });
    const agreed = queries.length - disagreements.length;
    const gold = options.labels;
    const result: DemoCheckResult = {
      model: info.model,
      file: path.relative(process.cwd(), nodeFile) || nodeFile,
      modelMb: info.bytes / 1e6,
      sha256: info.sha256,
      url: server.url,
      queries: queries.length,
      agreement: agreed / queries.length,
      agreed,
      rawAgreement: rawSame / queries.length,
      maxScoreDiff,
      fallbacks: { browser: results.filter((r) => r.fallback).length, node: node.filter((r) => r.fallback).length },
      idsMismatches: results.filter((r, i) => r.ids.length !== nodeIds[i].length || r.ids.some((id, j) => id !== nodeIds[i][j])).length,
      truncated: results.filter((r) => r.truncated).length,
      loadMs,
      pageLoadMs: state.loadMs ?? NaN,
      browserMs: stats(results.map((r) => r.ms)),
      browserRunMs: stats(results.map((r) => r.runMs)),
      nodeMs: stats(node.map((r) => r.ms)),
      loadAverage: os.loadavg()[0],
      ...(gold ? { accuracy: { browser: results.filter((r, i) => r.label === gold[i]).length / gold.length, node: node.filter((r, i) => r.label === gold[i]).length / gold.length } } : {}),
      typed: { text: queries[0], shown },
      disagreements,
      rows,
      ...(screenshot ? { screenshot } : {}),
      remoteRequests,
      seconds: (Date.now() - started) / 1000,
    };
    if (outDir) writeJsonAtomic(path.join(outDir, "results.json"), result);
    if (shown !== results[0].label) throw new Error(`checkDemo: the page showed "${shown}" for the typed query "${queries[0]}", but classify() gave "${results[0].label}"`);
    if (result.idsMismatches) throw new Error(`checkDemo: the page tokenized ${result.idsMismatches} of ${queries.length} queries differently from the Node pipeline`);
    const min = options.minAgreement ?? 0.995;
    if (result.agreement < min) throw new Error(`checkDemo: the page and the Node pipeline agree on ${agreed}/${queries.length} queries (${(result.agreement * 100).toFixed(1)}%), below ${(min * 100).toFixed(1)}%; first disagreements: ${JSON.stringify(disagreements.slice(0, 3))}`);
    return result;
  } finally {
    await browser.close();
  }
}
