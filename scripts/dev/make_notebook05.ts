// Writes notebooks/05_onnx_runtime.ipynb.
import * as path from "node:path";
import { makeNotebook } from "../../lib/notebook";
import { writeJsonAtomic } from "../../lib/utils/fs";

const cells: ["code" | "markdown", string][] = [
  ["markdown", `# Making Transformers Efficient in Production — 5. ONNX and the ONNX Runtime

The chapter's section *Optimizing Inference with ONNX and the ONNX Runtime*: export the model to the ONNX format, run it with ONNX Runtime (here \`onnxruntime-node\`), and shrink it with ONNX Runtime's dynamic quantization. No JavaScript tool exports TensorFlow.js models to ONNX or quantizes ONNX graphs, so both are this project's (\`lib/onnx\`), tested against onnxruntime and transformers.js.

The chapter applies this to its distilled student. This notebook uses the best model shipped in \`data/models\`: the distilled student once it exists, the teacher until then. The benchmark rows are named after the model used.`],
  ["code", `import * as os from "node:os";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import {
  initBackend, workbookProfile, profileTestSet, profileBenchmarkOptions, loadClinc, pipeline, AutoModelForSequenceClassification, BertTokenizer,
  bestShippedModel, profileModelPath, OUTPUTS_DIR, PerformanceBenchmark, loadPerfMetrics, savePerfMetrics, plotMetrics, showFigure,
  exportToOnnx, createModelForProvider, OnnxPipeline, OnnxPerformanceBenchmark, quantizeDynamic, exportOnnxFolder, measureLatency,
} from "workbook";

const profile = workbookProfile();
await initBackend();
const clinc = loadClinc();
const testSet = profileTestSet(profile, clinc.test);
const benchOptions = profileBenchmarkOptions(profile);
const best = bestShippedModel();
console.log(\`Model: \${best.name} (\${best.optimType}); profile \${profile.name}\`);`],
  ["markdown", `Every notebook runs on its own: if the baseline row is not in \`outputs/perf_metrics.json\` yet (notebook 01 not run), measure it here.`],
  ["code", `let perfMetrics = loadPerfMetrics();
if (!perfMetrics["BERT baseline"]) {
  const teacher = pipeline("text-classification", profileModelPath("bert-clinc-teacher"));
  perfMetrics = savePerfMetrics(await new PerformanceBenchmark(teacher, testSet, "BERT baseline", benchOptions).runBenchmark());
}
const model = AutoModelForSequenceClassification.fromPretrained(best.dir, { quiet: true });
const tokenizer = BertTokenizer.fromPretrained(best.dir);
if (!perfMetrics[best.optimType]) {
  perfMetrics = savePerfMetrics(await new PerformanceBenchmark(pipeline("text-classification", model, { tokenizer }), testSet, best.optimType, benchOptions).runBenchmark());
}
console.log(Object.keys(perfMetrics));`],
  ["markdown", `## Threads

The book sets \`OMP_NUM_THREADS\` and \`OMP_WAIT_POLICY=ACTIVE\` before importing ONNX Runtime, and its \`create_model_for_provider\` sets \`intra_op_num_threads = 1\`: one short query gives each operator too little work to repay handing it to other threads. \`onnxruntime-node\` has its own thread pool, sized by the session option \`intraOpNumThreads\`; \`createModelForProvider\` defaults to 1 as the book does (0 = one thread per core). The section after quantization measures both settings on this machine.`],
  ["code", `const sessionOptions = { intraOpNumThreads: 1, graphOptimizationLevel: "all" as const };
console.log({ cores: os.cpus().length, onnxruntime: ort.env.versions });`],
  ["markdown", `## Exporting to ONNX

The book calls \`transformers.convert_graph_to_onnx.convert(framework="pt", model=..., output=..., opset=12, pipeline_name="text-classification")\`. \`exportToOnnx\` writes the same kind of graph: inputs \`input_ids\`, \`attention_mask\` (and \`token_type_ids\` for BERT) with dynamic \`batch\` and \`sequence\` axes, output \`logits\`, weights as initializers. It uses opset 17 (LayerNormalization as one op); the tests check its logits against TensorFlow.js within 1e-4.`],
  ["code", `const onnxDir = path.join(OUTPUTS_DIR, "onnx", best.name);
const onnxModelPath = path.join(onnxDir, "model.onnx");
exportToOnnx(model, onnxModelPath, { opset: 17 });
console.log(\`Exported \${onnxModelPath}\`);`],
  ["markdown", `## An inference session

\`createModelForProvider\` is the book's \`create_model_for_provider\`: a session with every graph optimisation on. ONNX Runtime folds constants and fuses patterns it recognises: our exporter writes GELU in the form it turns into one \`BiasGelu\` op, and LayerNorm is already one op at opset 17. Pass \`optimizedModelFilePath\` to save the optimised graph and look at it.`],
  ["code", `const onnxModel = await createModelForProvider(onnxModelPath, "cpu", sessionOptions);
console.log({ inputs: onnxModel.inputNames, outputs: onnxModel.outputNames });`],
  ["markdown", `The logits for the first test query, and their argmax against the label:`],
  ["code", `const example = clinc.test.at(0);
const enc = tokenizer.call([example.text]);
const toInt64 = (rows: number[][]) => new ort.Tensor("int64", BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);
const feeds: Record<string, ort.Tensor> = { input_ids: toInt64(enc.input_ids), attention_mask: toInt64(enc.attention_mask) };
if (onnxModel.inputNames.includes("token_type_ids")) feeds.token_type_ids = toInt64(enc.token_type_ids);
const { logits } = await onnxModel.run(feeds);
console.log("logits shape", logits.dims);
const row = Array.from(logits.data as Float32Array);
const predicted = row.indexOf(Math.max(...row));
console.log({ predicted, label: example.intent, predictedIntent: clinc.test.features.intent.int2str(predicted) });`],
  ["markdown", `## A pipeline on ONNX Runtime

\`OnnxPipeline\` keeps the pipeline's tokenizer and post-processing (softmax, label, score) and swaps the model call for the session:`],
  ["code", `const pipe = new OnnxPipeline(onnxModel, tokenizer, model.config.id2label);
const query = "Hey, I'd like to rent a vehicle from Nov 1st to Nov 15th in Paris and I need a 15 passenger van";
console.log(await pipe(query));`],
  ["markdown", `The benchmark is the same, except that the size is the \`.onnx\` file's (\`OnnxPerformanceBenchmark.computeSize\`):`],
  ["code", `const optimType = \`\${best.optimType} + ORT\`;
const pb = new OnnxPerformanceBenchmark(pipe, testSet, optimType, onnxModelPath, benchOptions);
perfMetrics = savePerfMetrics(await pb.runBenchmark());
showFigure(plotMetrics(perfMetrics, optimType));`],
  ["markdown", `## Dynamic quantization with ONNX Runtime's recipe

\`quantizeDynamic\` is ONNX Runtime's \`quantize_dynamic\` in TypeScript: each MatMul with a constant weight becomes \`DynamicQuantizeLinear\` (the activations, quantized on the fly) + \`MatMulInteger\` with an int8 weight, and the embedding tables become int8 with a \`DequantizeLinear\` after the lookup. Weights are symmetric int8 with one scale per tensor, as the book's \`weight_type=QuantType.QInt8\`.`],
  ["code", `const quantizedPath = path.join(onnxDir, "model_quantized.onnx");
const { quantizedNodes } = quantizeDynamic(onnxModelPath, quantizedPath, { weightType: "QInt8" });
console.log(\`Quantized \${quantizedNodes.length} nodes, e.g. \${quantizedNodes.slice(0, 3).join(", ")}\`);
const quantizedModel = await createModelForProvider(quantizedPath, "cpu", sessionOptions);
const quantizedPipe = new OnnxPipeline(quantizedModel, tokenizer, model.config.id2label);
const optimTypeQ = \`\${best.optimType} + ORT (quantized)\`;
const pbQ = new OnnxPerformanceBenchmark(quantizedPipe, testSet, optimTypeQ, quantizedPath, benchOptions);
perfMetrics = savePerfMetrics(await pbQ.runBenchmark());
showFigure(plotMetrics(perfMetrics, optimTypeQ));`],
  ["markdown", `## One thread or one per core?

The same pin-number query through both graphs, with one intra-op thread (the book's setting) and with one per core:`],
  ["code", `const latency = async (f: () => Promise<unknown>) => {
  const { mean, std } = await measureLatency(f, profileBenchmarkOptions(profile));
  return \`\${mean.toFixed(2)} ± \${std.toFixed(2)} ms\`;
};
const pinQuery = "What is the pin number for my account?";
const threadTable: Record<string, Record<string, string>> = {};
for (const [graph, file] of [["fp32", onnxModelPath], ["int8", quantizedPath]]) {
  threadTable[graph] = {};
  for (const threads of [1, 0]) {
    const p = new OnnxPipeline(await createModelForProvider(file, "cpu", { ...sessionOptions, intraOpNumThreads: threads }), tokenizer, model.config.id2label);
    threadTable[graph][threads === 1 ? "1 thread" : \`\${os.cpus().length} threads\`] = await latency(() => p(pinQuery));
    p.dispose();
  }
}
console.table(threadTable);`],
  ["markdown", `## The same model in transformers.js

\`exportOnnxFolder\` writes a folder that transformers.js loads unchanged: \`config.json\`, \`tokenizer.json\`, \`tokenizer_config.json\`, \`onnx/model.onnx\` and \`onnx/model_quantized.onnx\` (its \`dtype: "q8"\`). transformers.js runs the same ONNX Runtime underneath, so its predictions match; the latencies compare the two pipelines' overheads on the same graph.`],
  ["code", `const { pipeline: hfPipeline, env } = await import("@huggingface/transformers");
const folder = exportOnnxFolder(model, tokenizer, path.join(OUTPUTS_DIR, "transformersjs", best.name));
env.allowRemoteModels = false;
env.localModelPath = path.dirname(folder.dir);
// The same session settings as ours (one intra-op thread), so the latencies compare the pipelines.
const jsPipe = await hfPipeline("text-classification", best.name, { dtype: "q8", session_options: { intraOpNumThreads: 1, graphOptimizationLevel: "all" } });
console.log("transformers.js:", await jsPipe(query), " ours:", await quantizedPipe(query));
console.table({ "OnnxPipeline (q8)": await latency(() => quantizedPipe(pinQuery)), "transformers.js (q8)": await latency(() => jsPipe(pinQuery)) });
await jsPipe.dispose();`],
  ["markdown", `Next: the chapter's last section, pruning (notebook 06).`],
];

writeJsonAtomic(path.resolve(__dirname, "..", "..", "notebooks", "05_onnx_runtime.ipynb"), makeNotebook(cells));
