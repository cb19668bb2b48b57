// The demo page's served root and its static server (npm run demo,
// npm run check:demo): the page and its script bundled with transformers.js,
// ONNX Runtime Web's WebAssembly files from node_modules, and one model
// folder in transformers.js's layout. Nothing is fetched from the network.
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { AddressInfo } from "node:net";
import { ROOT } from "../notebook/setup";
import { sha256Hex, writeFileAtomic, writeJsonAtomic } from "../../lib/utils/fs";
import { AutoModelForSequenceClassification } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";
import { exportOnnxFolder } from "../../lib/onnx";
import { initBackend } from "../../lib/backend";

/** The final int8 model: the distilled, pruned student with its ONNX Runtime-quantized file (notebook 06's last row). */
export const DEMO_DEFAULT_MODEL = path.join(ROOT, "data", "models", "distilbert-clinc-pruned");
export const DEMO_OUTPUTS = path.join(ROOT, "outputs", "demo");
const PUBLIC = path.join(__dirname, "public");
const ORT_DIST = path.join(ROOT, "node_modules", "onnxruntime-web", "dist");
/** The files of ONNX Runtime Web that transformers.js's browser build loads (its WebGPU bundle runs the asyncify build on plain wasm too). */
export const ORT_FILES = ["ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"];
/** What the page needs from a model folder. */
export const MODEL_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model_quantized.onnx"];

/** demo.json: which model the page loads, and the file it runs. */
export interface DemoInfo {
  model: string;
  dtype: "q8";
  file: string;
  bytes: number;
  sha256: string;
  /** The folder the model was copied from. */
  source: string;
}

/**
 * A folder the page can load: `dir` itself when it has an int8 ONNX file
 * (onnx/model_quantized.onnx, as exportOnnxFolder writes it), else `dir`
 * exported with exportOnnxFolder (fp32 + ONNX Runtime dynamic int8) under
 * `exportRoot`.
 */
export async function demoModelFolder(dir: string, exportRoot = path.join(DEMO_OUTPUTS, "models")): Promise<string> {
  const abs = path.resolve(dir);
  if (!fs.existsSync(path.join(abs, "config.json"))) throw new Error(`demo: ${dir} is not a model folder (no config.json)`);
  if (MODEL_FILES.every((f) => fs.existsSync(path.join(abs, f)))) return abs;
  await initBackend({ quiet: true });
  const out = path.join(exportRoot, path.basename(abs));
  const model = AutoModelForSequenceClassification.fromPretrained(abs, { quiet: true });
  try {
    exportOnnxFolder(model, BertTokenizer.fromPretrained(abs), out);
  } finally {
    model.dispose();
  }
  return out;
}

/**
 * Writes the served root: index.html, app.js (the page's script bundled with
 * transformers.js by esbuild), ort/ (a link to onnxruntime-web's dist
 * folder), models/<name>/ (a copy of the model folder's files) and demo.json.
 */
export async function prepareDemoRoot(modelDir: string, root: string): Promise<DemoInfo> {
  for (const f of MODEL_FILES) if (!fs.existsSync(path.join(modelDir, f))) throw new Error(`demo: ${modelDir} has no ${f} (export the model with exportOnnxFolder, or pass the folder to npm run demo, which exports it)`);
  for (const f of ORT_FILES) if (!fs.existsSync(path.join(ORT_DIST, f))) throw new Error(`demo: ${path.join(ORT_DIST, f)} is missing (npm ci installs onnxruntime-web with @huggingface/transformers)`);
  fs.mkdirSync(root, { recursive: true });
  const esbuild = await import("esbuild");
  const bundle = await esbuild.build({ entryPoints: [path.join(PUBLIC, "app.js")], bundle: true, format: "esm", platform: "browser", target: "es2022", write: false, logLevel: "silent", absWorkingDir: ROOT, alias: { "onnxruntime-web/webgpu": "onnxruntime-web/wasm" } });
  writeFileAtomic(path.join(root, "app.js"), bundle.outputFiles[0].contents);
  fs.copyFileSync(path.join(PUBLIC, "index.html"), path.join(root, "index.html"));
  const ort = path.join(root, "ort");
  fs.rmSync(ort, { recursive: true, force: true });
  fs.symlinkSync(ORT_DIST, ort, "dir");
  const name = path.basename(path.resolve(modelDir));
  const target = path.join(root, "models", name);
  fs.rmSync(path.join(root, "models"), { recursive: true, force: true });
  for (const f of MODEL_FILES) {
    fs.mkdirSync(path.dirname(path.join(target, f)), { recursive: true });
    fs.copyFileSync(path.join(modelDir, f), path.join(target, f));
  }
  const bytes = new Uint8Array(fs.readFileSync(path.join(target, "onnx", "model_quantized.onnx")));
  const info: DemoInfo = { model: name, dtype: "q8", file: "onnx/model_quantized.onnx", bytes: bytes.length, sha256: sha256Hex(bytes), source: path.resolve(modelDir) };
  writeJsonAtomic(path.join(root, "demo.json"), info);
  return info;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".onnx": "application/octet-stream",
  ".png": "image/png",
};

export interface DemoServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A static file server for `root` on 127.0.0.1 (`port` 0: a free port).
 * GET and HEAD only; paths outside `root` are refused.
 */
export function serveDemo(root: string, port = 0): Promise<DemoServer> {
  const base = path.resolve(root);
  const server = http.createServer((req, res) => {
    const fail = (code: number, msg: string) => {
      res.writeHead(code, { "content-type": "text/plain; charset=utf-8" });
      res.end(msg);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return fail(405, "GET only");
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    } catch {
      return fail(400, "bad path");
    }
    if (rel.endsWith("/")) rel += "index.html";
    const file = path.resolve(base, `.${rel}`);
    if (file !== base && !file.startsWith(base + path.sep)) return fail(403, "outside the demo root");
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) return fail(404, `not found: ${rel}`);
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "content-length": st.size, "cache-control": "no-store" });
      if (req.method === "HEAD") return res.end();
      fs.createReadStream(file).pipe(res);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port: p } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${p}/`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
