// The demo page (npm run demo): its served root and static server, and, in
// headless Chromium, the page's predictions against the Node pipeline on the
// same int8 ONNX file, on a tiny exported BERT with a saved out-of-scope
// fallback, a query longer than its positions and one it cannot read.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ready, tmpDir } from "../helpers/setup";
import { bert, tokenizer } from "../helpers/tinyModels";
import { exportOnnxFolder } from "../../lib/onnx";
import { pipeline } from "../../lib/pipelines";
import { sha256Hex } from "../../lib/utils/fs";
import { setLogLevel } from "../../lib/utils/log";
import { demoModelFolder, prepareDemoRoot, serveDemo } from "../../tools/demo/server";
import { checkDemo, demoCheckUnavailable } from "../../tools/demo/checkDemo";

const LABELS = ["no", "maybe", "oos"];
// Letters a-t are the tiny vocabulary; "xyz zz" has none of them (all [UNK]); the long one has 30 tokens for 16 positions.
const QUERIES = ["a b c", "d e", "f g h i j", "k", "l m n", "o p q r", "s t", "a e i o", "b d f h j l", "c c c", "xyz zz", "a b c d e f g h i j k l m n o p q r s t a b c d e f g h i j", "t s r q", "m"];

const UNREADABLE = QUERIES.indexOf("xyz zz");

/**
 * A tiny BERT folder (fp32 + int8 ONNX) with a saved fallback: its threshold
 * is the median top probability of QUERIES, so it fires on some and not
 * others, and its label is one the model does not pick for the unreadable
 * query, so only the unreadable-text rule can make that query's label.
 */
async function tinyFolder(): Promise<{ dir: string; oosLabel: string }> {
  await ready;
  const dir = path.join(tmpDir(), "tiny-clinc");
  const model = bert(7, LABELS);
  const prev = setLogLevel("warn");
  exportOnnxFolder(model, tokenizer, dir);
  setLogLevel(prev);
  model.dispose();
  const raw = pipeline("text-classification", dir, { dtype: "q8" });
  // Every label's probability (an unreadable text's "oos" row comes first, with the model's own probability): the argmax is the best-scored row.
  const argmax = (await raw(QUERIES, { oosThreshold: null, topK: LABELS.length })).map((rows) => rows.reduce((a, b) => (b.score > a.score ? b : a)));
  raw.dispose();
  const tops = argmax.map((r) => r.score).sort((a, b) => a - b);
  const oosLabel = LABELS.find((l) => l !== argmax[UNREADABLE].label)!;
  const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
  config.task_specific_params = { "text-classification": { oos_threshold: tops[Math.floor(tops.length / 2)], oos_label: oosLabel, tuned_on: "validation" } };
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config, null, 2));
  return { dir, oosLabel };
}

test("the demo's root: the bundled page, ONNX Runtime Web's files and a copy of the model's int8 file; the server serves them and nothing outside", async () => {
  const { dir: folder } = await tinyFolder();
  assert.equal(await demoModelFolder(folder), path.resolve(folder), "a folder with an int8 ONNX file is served as is");
  await assert.rejects(demoModelFolder(tmpDir()), /is not a model folder \(no config\.json\)/);
  const root = path.join(tmpDir(), "root");
  const info = await prepareDemoRoot(folder, root);
  const onnx = new Uint8Array(fs.readFileSync(path.join(folder, "onnx", "model_quantized.onnx")));
  assert.deepEqual({ model: info.model, file: info.file, bytes: info.bytes, sha256: info.sha256 }, { model: "tiny-clinc", file: "onnx/model_quantized.onnx", bytes: onnx.length, sha256: sha256Hex(onnx) });
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(root, "demo.json"), "utf8")), info);
  // The bundle carries transformers.js (no bare import left for the browser to resolve).
  const app = fs.readFileSync(path.join(root, "app.js"), "utf8");
  assert.ok(app.length > 100_000, `app.js is ${app.length} bytes`);
  assert.doesNotMatch(app, /^import .* from "(@huggingface|onnxruntime)/m);
  const server = await serveDemo(root);
  try {
    const get = (p: string, method = "GET") => fetch(new URL(p, server.url), { method });
    const page = await get("/");
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<input id="query"/);
    assert.match((await get("/app.js")).headers.get("content-type") ?? "", /^text\/javascript/);
    const wasm = await get("/ort/ort-wasm-simd-threaded.wasm", "HEAD");
    assert.deepEqual([wasm.status, wasm.headers.get("content-type")], [200, "application/wasm"]);
    const model = await get("/models/tiny-clinc/onnx/model_quantized.onnx");
    assert.equal(sha256Hex(new Uint8Array(await model.arrayBuffer())), info.sha256);
    assert.equal((await get("/models/tiny-clinc/nothing.json")).status, 404);
    // "%2F" survives URL parsing, and decodes to a "/" that would climb out of the root.
    assert.equal((await get("/..%2F..%2F..%2Fpackage.json")).status, 403);
    assert.equal((await get("/", "POST")).status, 405);
  } finally {
    await server.close();
  }
  fs.rmSync(path.join(folder, "onnx", "model_quantized.onnx"));
  await assert.rejects(prepareDemoRoot(folder, root), /has no onnx\/model_quantized\.onnx/);
});

const unavailable = demoCheckUnavailable();

test("without Chromium on PATH the check says what to install, and refuses to run", async () => {
  assert.match(demoCheckUnavailable({ PATH: tmpDir() }) ?? "", /Chromium is not installed: sudo apt-get install chromium/);
  await assert.rejects(checkDemo({ queries: [] }), /checkDemo: no queries/);
  await assert.rejects(checkDemo({ queries: ["a", "b"], labels: ["x"] }), /checkDemo: 1 labels for 2 queries/);
});

test("in headless Chromium the page classifies like the Node pipeline on the same int8 file: fallback, truncation and an unreadable query included", { skip: unavailable ?? false, timeout: 180_000 }, async () => {
  const { dir: folder, oosLabel } = await tinyFolder();
  const out = tmpDir();
  const r = await checkDemo({ modelDir: folder, queries: QUERIES, outDir: out, minAgreement: 1 });
  assert.equal(r.agreed, QUERIES.length, JSON.stringify(r.disagreements));
  assert.equal(r.rawAgreement, 1);
  assert.ok(r.maxScoreDiff < 1e-2, `top probabilities differ by ${r.maxScoreDiff}`);
  // The saved threshold is the median top probability: the fallback fires on some queries, in both, plus the unreadable one.
  assert.equal(r.fallbacks.browser, r.fallbacks.node);
  assert.ok(r.fallbacks.browser > 1 && r.fallbacks.browser < QUERIES.length, `${r.fallbacks.browser} fallbacks`);
  assert.equal(r.truncated, 1);
  assert.equal(r.idsMismatches, 0);
  assert.deepEqual(r.remoteRequests, []);
  assert.equal(r.typed.text, QUERIES[0]);
  assert.equal(r.typed.shown, r.rows[0].browser.label);
  assert.ok(r.loadMs > 0 && r.browserMs.median > 0 && r.nodeMs.median > 0);
  const saved = JSON.parse(fs.readFileSync(path.join(out, "results.json"), "utf8"));
  assert.equal(saved.agreed, r.agreed);
  assert.ok(fs.statSync(path.join(out, "demo.png")).size > 1000);
  // The unreadable query, with a threshold of 0 (only the unreadable-text rule can fire): the model picks another label, both sides answer the saved fallback label.
  const config = JSON.parse(fs.readFileSync(path.join(folder, "config.json"), "utf8"));
  config.task_specific_params["text-classification"].oos_threshold = 0;
  fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify(config, null, 2));
  const again = await checkDemo({ modelDir: folder, queries: [QUERIES[UNREADABLE], QUERIES[0]], outDir: null, minAgreement: 1 });
  const row = again.rows[0];
  assert.notEqual(row.browser.raw.label, oosLabel);
  assert.deepEqual([row.browser.label, row.browser.fallback, row.node.label, row.node.fallback], [oosLabel, true, oosLabel, true]);
  assert.deepEqual([again.rows[1].browser.fallback, again.rows[1].node.fallback], [false, false]);
  // The Node pipeline's answer, outside checkDemo.
  const pipe = pipeline("text-classification", folder, { dtype: "q8" });
  const [unreadable] = await pipe(QUERIES[UNREADABLE]);
  pipe.dispose();
  assert.deepEqual([unreadable.label, unreadable.fallback], [oosLabel, true]);
});
