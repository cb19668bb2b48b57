import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ready, tmpDir } from "../helpers/setup";
import { BertForSequenceClassification, labelMaps } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";
import { TextClassificationPipeline, pipeline, tuneOosThreshold } from "../../lib/pipelines";
import { PerformanceBenchmark, meanStd, BenchmarkablePipeline, loadPerfMetrics, savePerfMetrics } from "../../lib/benchmark";
import { ClassLabel, Dataset } from "../../lib/data";
import { plotMetrics, PLOT_METRICS_MIN_AREA } from "../../lib/benchmark/plotMetrics";
import { histogram, lineChart, contour, figureToSvg, findChromium, mimeBundle, PLOTLY_MIME } from "../../lib/plotting";
import { perfMetricsMarkdown, writeReport } from "../../lib/workbook/report";

const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "rent", "a", "van", "oos"]);
const labels = ["greet", "car_rental", "oos"];
const tinyModel = () => BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 16, ...labelMaps(labels) });

test("pipeline returns [{label, score}] for a string and one list per text for an array; topK sorts", async () => {
  await ready;
  const pipe = pipeline("text-classification", tinyModel(), { tokenizer });
  const one = await pipe("hello world");
  assert.equal(one.length, 1);
  assert.ok(labels.includes(one[0].label));
  const all = await pipe("hello world", { topK: 3 });
  assert.deepEqual(all.map((r) => r.label).sort(), [...labels].sort());
  assert.ok(Math.abs(all.reduce((a, r) => a + r.score, 0) - 1) < 1e-5);
  assert.ok(all[0].score >= all[1].score && all[1].score >= all[2].score);
  assert.equal(all[0].label, one[0].label);
  const many = await pipe(["hello world", "rent a van", "hello"], { batchSize: 2 });
  assert.equal(many.length, 3);
  assert.deepEqual(many[0], one); // batching and padding do not change a prediction
  const alone = await pipe("rent a van");
  const rows = await pipe.logits(["hello world", "rent a van"], { batchSize: 1 });
  assert.equal(rows.length, 2);
  assert.equal(rows[0].length, 3);
  assert.ok(Math.abs(alone[0].score - many[1][0].score) < 1e-5);
});

test("pipeline errors: empty string, non-string, bad topK, model without id2label", async () => {
  await ready;
  const pipe = pipeline("text-classification", tinyModel(), { tokenizer });
  await assert.rejects(pipe(""), /input 0 is an empty string/);
  await assert.rejects(pipe("   "), /input 0 is an empty string/);
  await assert.rejects(pipe(42 as unknown as string), /expected a string or an array of strings, got number/);
  await assert.rejects(pipe(["ok", null as unknown as string]), /input 1 is null, expected a string/);
  await assert.rejects(pipe("hello", { topK: 9 }), /topK must be an integer in \[1, 3\]/);
  const model = tinyModel();
  (model.config as any).id2label = {};
  assert.throws(() => new TextClassificationPipeline(model, tokenizer), /has no id2label/);
  assert.throws(() => pipeline("summarization" as any, model, { tokenizer }), /unknown task "summarization"/);
  assert.throws(() => pipeline("text-classification", model), /pass options.tokenizer/);
});

test("pipeline loads a model folder with its tokenizer; the oos fallback triggers below the threshold", async () => {
  await ready;
  const dir = tmpDir();
  const model = tinyModel();
  model.savePretrained(dir);
  tokenizer.savePretrained(dir);
  const pipe = pipeline("text-classification", dir);
  const plain = await pipe("rent a van", { topK: 3 });
  const fallback = await pipe("rent a van", { oosThreshold: 0.99, topK: 2 });
  assert.equal(fallback[0].label, "oos");
  assert.equal(fallback[0].fallback, true);
  // The fallback row carries the model's own probability for "oos", not the top label's.
  assert.equal(fallback[0].score, plain.find((r) => r.label === "oos")!.score);
  assert.deepEqual(fallback[1], plain.filter((r) => r.label !== "oos")[0]);
  assert.deepEqual(await pipe("rent a van", { oosThreshold: 0.01 }), [plain[0]]);
  // A threshold saved with the model is the default; null turns it off for a call.
  const saved = tmpDir();
  const withFallback = tinyModel();
  (withFallback.config as any).task_specific_params = { "text-classification": { oos_threshold: 0.99, oos_label: "oos", tuned_on: "validation" } };
  withFallback.savePretrained(saved);
  tokenizer.savePretrained(saved);
  const savedPipe = pipeline("text-classification", saved);
  assert.equal((await savedPipe("rent a van"))[0].label, "oos");
  assert.deepEqual(await savedPipe("rent a van", { oosThreshold: null }), [plain[0]]);
  // The fallback label must be one of the model's labels.
  assert.throws(() => pipeline("text-classification", dir, { oosThreshold: 0.5, oosLabel: "out_of_scope" }), /fallback label "out_of_scope" is not one of the model's labels/);
  await assert.rejects(() => pipe("rent a van", { oosThreshold: 0.5, oosLabel: "nope" }), /fallback label "nope"/);
  // Threshold search: ties low-confidence rows to oos only where that helps.
  const logits = [Float32Array.of(5, 0, 0), Float32Array.of(0.1, 0, 0), Float32Array.of(0, 4, 0), Float32Array.of(0.2, 0.1, 0)];
  const r = tuneOosThreshold(logits, [0, 2, 1, 2], 2);
  assert.equal(r.baselineAccuracy, 0.5);
  assert.equal(r.accuracy, 1);
  // The smallest grid value above both low-confidence rows (0.355 and 0.367) and below the confident ones.
  assert.equal(r.threshold, 0.37);
});

test("PerformanceBenchmark on a fake pipeline: accuracy, mean/std latency, size of a known model", async () => {
  await ready;
  const intent = new ClassLabel(["a", "b"]);
  const ds = new Dataset([{ text: "x", intent: 0 }, { text: "y", intent: 1 }, { text: "z", intent: 1 }, { text: "w", intent: 0 }], { intent });
  // A fake clock: each call of the fake pipeline takes the next duration (ms).
  let now = 0n;
  let durations: number[] = [];
  let calls = 0;
  const fake = (async (input: string | readonly string[]) => {
    now += BigInt((durations[calls] ?? 0) * 1e6);
    calls++;
    const one = (t: string) => [{ label: t === "y" || t === "w" ? "b" : "a", score: 1 }];
    return typeof input === "string" ? one(input) : input.map(one);
  }) as unknown as BenchmarkablePipeline;
  const pb = new PerformanceBenchmark(fake, ds, "fake", { warmupRuns: 2, timedRuns: 5, verbose: false });
  assert.deepEqual(await pb.computeAccuracy(), { accuracy: 0.5 });
  calls = 0;
  durations = [50, 60, 1, 2, 3, 4, 5]; // two warm-up calls (not timed), then five timed ones
  const hrtime = process.hrtime.bigint;
  process.hrtime.bigint = () => now;
  let t: { timeAvgMs: number; timeStdMs: number };
  try {
    t = await pb.timePipeline();
  } finally {
    process.hrtime.bigint = hrtime;
  }
  assert.equal(calls, 7);
  assert.deepEqual(t, { timeAvgMs: 3, timeStdMs: Math.sqrt(2) }); // mean and population std (np.std) of 1..5 ms
  assert.deepEqual(meanStd([1, 2, 3, 4]), { mean: 2.5, std: Math.sqrt(1.25) });
  assert.throws(() => pb.computeSize(), /the pipeline has no model/);
  await assert.rejects(pb.timePipeline(""), /query must be a non-empty string/);
  assert.throws(() => new PerformanceBenchmark(fake, new Dataset([], { intent }), "x"), /dataset is empty/);
  // Size: float32 parameters plus the safetensors header.
  const model = tinyModel();
  const real = new PerformanceBenchmark(pipeline("text-classification", model, { tokenizer }) as unknown as BenchmarkablePipeline, ds, "tiny", { verbose: false });
  const { sizeMb } = real.computeSize();
  const bytes = model.numParameters() * 4;
  assert.ok(sizeMb * 2 ** 20 > bytes && sizeMb * 2 ** 20 < bytes + 8192, `${sizeMb} MB for ${bytes} bytes of weights`);
  const dir = tmpDir();
  model.savePretrained(dir);
  assert.ok(Math.abs(fs.statSync(path.join(dir, "model.safetensors")).size / 2 ** 20 - sizeMb) < 1e-9);
});

test("plotMetrics spec: bubble area ∝ size, current run solid, x range set by the slowest model; writeReport writes the table rows and the chart's traces", async () => {
  const perf = {
    "BERT baseline": { sizeMb: 20, timeAvgMs: 10, timeStdMs: 1, accuracy: 0.8 },
    Distillation: { sizeMb: 10, timeAvgMs: 5, timeStdMs: 0.5, accuracy: 0.82 },
  };
  const fig = plotMetrics(perf, "Distillation");
  assert.equal(fig.data.length, 2);
  const [base, cur] = fig.data;
  assert.deepEqual([base.x, base.y, cur.x, cur.y], [[10], [80], [5], [82]]);
  assert.equal((base.marker as any).sizemode, "area");
  assert.deepEqual([(base.marker as any).size, (cur.marker as any).size], [[20], [10]]);
  assert.equal((base.marker as any).symbol, "circle-open");
  assert.equal((cur.marker as any).symbol, "circle");
  assert.ok(fig.layout.xaxis.range[1] >= 10 && fig.layout.xaxis.range[0] === 0);
  assert.throws(() => plotMetrics(perf, "Quantization"), /"Quantization" is not in perfMetrics/);
  assert.throws(() => plotMetrics({}, "x"), /perfMetrics is empty/);
  const svg = figureToSvg(fig);
  assert.match(svg, /^<svg/);
  assert.equal((svg.match(/<circle cx/g) ?? []).length, 2 + 2); // two bubbles, two legend dots
  assert.deepEqual(Object.keys(mimeBundle(fig)), [PLOTLY_MIME, "text/html", "image/png"]);
  assert.equal(histogram([0, 0.5, 1, 1], { bins: 2 }).data[0].y!.join(), "1,3");
  assert.equal(lineChart([{ name: "T=1", x: [0, 1], y: [1, 2] }]).data[0].mode, "lines+markers");
  assert.throws(() => contour([0, 1], [0], [[1]]), /z must be 1 rows of 2 values/);
  assert.match(perfMetricsMarkdown(perf), /\| Distillation \| 10.00 \| 5.00 ± 0.50 \| 82.00% \| 2.00x \| 2.00x \|/);
  // Axes leave room for the largest bubble at either end, even when one row is far from the others.
  const wide = { ...perf, "Far model": { sizeMb: 20, timeAvgMs: 40, timeStdMs: 1, accuracy: 0.12 } };
  const wf = plotMetrics(wide, "Far model");
  const [x0, x1] = wf.layout.xaxis.range;
  const [y0, y1] = wf.layout.yaxis.range;
  for (const t of wf.data) {
    const r = Math.sqrt((2 * (t.marker as any).size[0]) / (t.marker as any).sizeref) / 2; // plotly's area sizing
    const [w, h] = [PLOT_METRICS_MIN_AREA.width, PLOT_METRICS_MIN_AREA.height];
    const px = (((t.x as number[])[0] - x0) / (x1 - x0)) * w;
    const py = (((t.y as number[])[0] - y0) / (y1 - y0)) * h;
    assert.ok(px >= r && px <= w - r && py >= r && py <= h - r, `${t.name} at (${px.toFixed(0)}, ${py.toFixed(0)}) px, radius ${r.toFixed(0)}`);
  }
  const dir = tmpDir();
  const demos = { "KD hooks (demo)": { sizeMb: 13, timeAvgMs: 4, timeStdMs: 0.1, accuracy: 0.15 } };
  const { files } = writeReport(perf, dir, { profile: "test" }, demos);
  const png = ["perf_metrics.png"]; // drawn in Node (resvg), no browser needed
  assert.deepEqual(files, ["perf_metrics.json", "perf_metrics.md", "perf_metrics.html", ...png].map((f) => path.join(dir, f)));
  assert.deepEqual(fs.readdirSync(dir).sort(), ["perf_metrics.html", "perf_metrics.json", "perf_metrics.md", ...png].sort(), "no temporary files left");
  assert.deepEqual(JSON.parse(fs.readFileSync(files[0], "utf8")), { profile: "test", perfMetrics: perf, demos });
  const md = fs.readFileSync(files[1], "utf8").split("\n");
  assert.ok(md.includes("- profile: test"), md.join("\n"));
  const table = md.slice(0, md.indexOf("## Demonstrations")).filter((l) => l.startsWith("|"));
  // Demonstrations get a table of their own and stay off the chart.
  assert.ok(md.slice(md.indexOf("## Demonstrations")).some((l) => l.startsWith("| KD hooks (demo) | 13.00 |")), md.join("\n"));
  assert.deepEqual(table, [
    "| Optimisation | Size (MB) | Latency (ms) | Accuracy | x smaller | x faster |",
    "|---|---:|---:|---:|---:|---:|",
    "| BERT baseline | 20.00 | 10.00 ± 1.00 | 80.00% | 1.00x | 1.00x |",
    "| Distillation | 10.00 | 5.00 ± 0.50 | 82.00% | 2.00x | 2.00x |",
  ]);
  assert.ok(md.includes("![accuracy vs latency](perf_metrics.png)"));
  // The chart: the traces handed to Plotly.newPlot are plotMetrics' for the last row measured.
  const html = fs.readFileSync(files[2], "utf8");
  const call = html.slice(html.indexOf('Plotly.newPlot("fig", ') + 'Plotly.newPlot("fig", '.length, html.lastIndexOf(");</script>"));
  const [traces, layout] = JSON.parse(`[${call}]`);
  assert.deepEqual(traces, plotMetrics(perf, "Distillation").data);
  assert.doesNotMatch(html, /KD hooks/, "demos stay off the chart");
  assert.deepEqual(traces.map((tr: any) => [tr.name, tr.x, tr.y, tr.marker.symbol]), [["BERT baseline", [10], [80], "circle-open"], ["Distillation", [5], [82], "circle"]]);
  assert.deepEqual([layout.title.text, layout.xaxis.title.text, layout.yaxis.title.text], ["Accuracy vs latency (current: Distillation)", "Average latency (ms)", "Accuracy (%)"]);
  if (png.length) {
    const bytes = fs.readFileSync(files[3]);
    assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "a PNG file");
    assert.ok(bytes.readUInt32BE(16) >= 600 && bytes.readUInt32BE(20) >= 300, "a chart-sized image");
  }
  const store = path.join(dir, "store.json");
  savePerfMetrics({ a: perf["BERT baseline"] }, store);
  assert.deepEqual(Object.keys(savePerfMetrics({ b: perf.Distillation }, store)), ["a", "b"]);
  assert.deepEqual(Object.keys(loadPerfMetrics(store)), ["a", "b"]);
});
