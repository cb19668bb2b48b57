// The demo page's script (bundled with transformers.js by esbuild, see
// tools/demo/server.ts). It loads the model folder named in ./demo.json with
// transformers.js (ONNX Runtime Web, WebAssembly, one thread), offline, and
// classifies with the Node pipeline's rules (lib/pipelines/textClassification.ts):
// truncation to the model's positions keeping [SEP], softmax, and the
// out-of-scope fallback saved in config.json: the saved detector when it
// reads the logits (softmax, energy: its score below its threshold), else the
// softmax threshold (top probability below oos_threshold), -> oos_label,
// scored with the model's own oos probability; a text with no readable token
// -> oos. (Mahalanobis and kNN read pooled features and fitted tensors; the
// page does not port them, and says so.)
import { AutoModelForSequenceClassification, AutoTokenizer, Tensor, env } from "@huggingface/transformers";

const t0 = performance.now();
const $ = (id) => document.getElementById(id);

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = new URL("./models/", location.href).pathname;
env.useBrowserCache = false;
env.backends.onnx.wasm.numThreads = 1;
env.backends.onnx.wasm.wasmPaths = {
  mjs: new URL("./ort/ort-wasm-simd-threaded.mjs", location.href).href,
  wasm: new URL("./ort/ort-wasm-simd-threaded.wasm", location.href).href,
};

/** Loads the model and returns the classifier; window.demo exposes it (and the load time) to the headless check. */
async function load() {
  const info = await (await fetch("./demo.json")).json();
  const config = await (await fetch(`./models/${info.model}/config.json`)).json();
  const tokenizer = await AutoTokenizer.from_pretrained(info.model);
  const model = await AutoModelForSequenceClassification.from_pretrained(info.model, { dtype: info.dtype, device: "wasm" });
  const id2label = config.id2label;
  const saved = config.task_specific_params?.["text-classification"];
  const softmaxThreshold = typeof saved?.oos_threshold === "number" ? saved.oos_threshold : null;
  const savedDetector = saved?.oos_detector;
  const detector = savedDetector && (savedDetector.kind === "softmax" || savedDetector.kind === "energy") ? savedDetector : null;
  const threshold = detector ? detector.threshold : softmaxThreshold;
  const rule = detector ? `${detector.kind} score below ${detector.threshold}` : softmaxThreshold === null ? "none saved" : `top probability below ${softmaxThreshold}` + (savedDetector ? ` (the saved ${savedDetector.kind} detector reads pooled features: not in this page)` : "");
  const oosLabel = saved?.oos_label ?? "oos";
  const oosId = Object.keys(id2label).find((k) => id2label[k] === oosLabel);
  if (threshold !== null && oosId === undefined) throw new Error(`config.json's fallback label "${oosLabel}" is not one of the model's labels`);
  const maxLength = Math.min(tokenizer.model_max_length ?? Infinity, config.max_position_embeddings ?? Infinity);
  const special = new Set(tokenizer.convert_tokens_to_ids(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]));
  const sep = tokenizer.sep_token_id;

  /** [CLS] tokens [SEP], cut to maxLength keeping [SEP] (transformers.js's own truncation would drop it). */
  function encode(text) {
    let ids = tokenizer.encode(text);
    const tokens = ids.length;
    if (ids.length > maxLength) ids = [...ids.slice(0, maxLength - 1), sep];
    return { ids, truncated: tokens > maxLength };
  }

  async function classify(text) {
    if (typeof text !== "string" || text.trim() === "") throw new Error("type some text to classify");
    const start = performance.now();
    const { ids, truncated } = encode(text);
    if (ids.length <= 2) throw new Error("the tokenizer found no text it can read (only control, format or zero-width characters)");
    const n = ids.length;
    const input_ids = new Tensor("int64", BigInt64Array.from(ids, (v) => BigInt(v)), [1, n]);
    const attention_mask = new Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]);
    const run = performance.now();
    const { logits } = await model({ input_ids, attention_mask });
    const runMs = performance.now() - run;
    const row = Array.from(logits.data);
    let best = 0;
    for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
    let sum = 0;
    for (const v of row) sum += Math.exp(v - row[best]);
    const prob = (j) => Math.exp(row[j] - row[best]) / sum;
    const raw = { label: id2label[String(best)], score: prob(best) };
    const unreadable = !ids.some((id) => !special.has(id));
    // The detector's score (higher = in scope): top probability, or T·logsumexp(logits / T) for energy.
    let score = raw.score;
    if (detector?.kind === "energy") {
      const t = detector.temperature ?? 1;
      let m = -Infinity;
      for (const v of row) m = Math.max(m, v / t);
      let z = 0;
      for (const v of row) z += Math.exp(v / t - m);
      score = t * (m + Math.log(z));
    }
    if (unreadable && oosId === undefined) throw new Error(`the tokenizer knows no token of this text, and the model has no "${oosLabel}" label to call it out of scope`);
    const fallback = unreadable || (oosId !== undefined && (threshold !== null && score < threshold && raw.label !== oosLabel));
    const out = fallback ? { label: oosLabel, score: prob(Number(oosId)), fallback: true } : { ...raw, fallback: false };
    return { ...out, raw, ids, tokens: n, truncated, ms: performance.now() - start, runMs };
  }

  return { info, config, classify, threshold, rule, detectorKind: detector?.kind ?? "softmax", oosLabel, maxLength };
}

function show(r) {
  $("label").textContent = r.label;
  $("label").className = r.fallback ? "fallback" : "";
  $("score").textContent = `score ${r.score.toFixed(3)}`;
  $("latency").textContent = `· ${r.ms.toFixed(1)} ms`;
  $("why").textContent = r.fallback ? `fallback: the best intent, ${r.raw.label} (probability ${r.raw.score.toFixed(3)}), looks out of scope` : "";
}

load().then(
  (demo) => {
    const loadMs = performance.now() - t0;
    const mb = (demo.info.bytes / 1e6).toFixed(2);
    $("model-name").textContent = `${demo.info.model} (${demo.info.dtype}, ${Object.keys(demo.config.id2label).length} labels, ${demo.maxLength} tokens max)`;
    $("model-size").textContent = `${demo.info.file}: ${mb} MB`;
    $("model-fallback").textContent = demo.threshold === null ? "none saved" : `${demo.oosLabel} when the ${demo.rule}`;
    $("load-time").textContent = `${loadMs.toFixed(0)} ms (page open to model ready)`;
    $("status").textContent = "ready";
    const input = $("query");
    input.disabled = false;
    input.focus();
    $("form").addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const r = await demo.classify(input.value);
        show(r);
        $("status").textContent = "ready";
        $("status").className = "";
        document.body.dataset.shown = String(Number(document.body.dataset.shown ?? 0) + 1);
      } catch (err) {
        $("status").textContent = err.message;
        $("status").className = "error";
      }
    });
    window.demo = { classify: demo.classify, loadMs, info: demo.info, threshold: demo.threshold, detectorKind: demo.detectorKind, maxLength: demo.maxLength };
    document.body.dataset.ready = "true";
  },
  (err) => {
    $("status").textContent = `could not load the model: ${err?.stack ?? err}`;
    $("status").className = "error";
    window.demoError = String(err?.message ?? err);
    document.body.dataset.ready = "error";
  },
);
