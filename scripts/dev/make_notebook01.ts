// Writes notebooks/01_baseline.ipynb (run once after editing the cells below).
import * as path from "node:path";
import { makeNotebook } from "../../lib/notebook";
import { writeJsonAtomic } from "../../lib/utils/fs";

const cells: ["code" | "markdown", string][] = [
  ["markdown", `# Making Transformers Efficient in Production — 1. The baseline

This workbook follows chapter 8 of *Natural Language Processing with Transformers* in TypeScript. The setting: an intent-detection model for a text-based assistant (think of a bank's chatbot) that must be **accurate**, **small** and **fast**. We first build the baseline the book starts from (a fine-tuned BERT and a benchmark of its accuracy, size and latency), then, in the next notebooks, shrink and speed it up with distillation, quantization, ONNX Runtime and pruning.

Everything runs on this machine: the model below was trained from scratch by this project (\`npm run train:teacher\`, see README), because nothing can be downloaded from a model hub here. Set \`WORKBOOK_PROFILE=smoke\` for a quick run on a test subset.`],
  ["code", `import * as tf from "@tensorflow/tfjs-core";
import {
  initBackend, workbookProfile, profileTestSet, profileBenchmarkOptions, loadClinc, pipeline, modelPath, BertTokenizer,
  PerformanceBenchmark, measureLatency, plotMetrics, showFigure, savePerfMetrics, Random, trainTeacher, OUTPUTS_DIR,
  tuneOosThreshold, intentReport, exportOnnxFolder,
} from "workbook";
import * as path from "node:path";

const profile = workbookProfile();
const backend = await initBackend();
console.log(\`Profile: \${profile.name} (test rows: \${profile.testRows}, timed runs: \${profile.timedRuns})\`);`],
  ["markdown", `## Intent detection as a case study

The book loads \`transformersbook/bert-base-uncased-finetuned-clinc\` from the Hub. Our counterpart is \`data/models/bert-clinc-teacher\`: a Hugging Face–layout folder (\`config.json\`, \`model.safetensors\`, \`tokenizer.json\`) holding a \`BertForSequenceClassification\`. \`pipeline()\` wraps the model and its tokenizer behind one call, as in Transformers.`],
  ["markdown", `With \`WORKBOOK_PROFILE=full\` the teacher is first retrained here from scratch (\`trainTeacher()\`, the recipe of \`npm run train:teacher\`, about an hour on 2 cores) into \`outputs/models\`; the later notebooks then use that copy.`],
  ["code", `const bertCkpt = profile.retrain
  ? (await trainTeacher({ out: path.join(OUTPUTS_DIR, "models", "bert-clinc-teacher") })).dir
  : modelPath("bert-clinc-teacher");
const pipe = pipeline("text-classification", bertCkpt);
const query = "Hey, I'd like to rent a vehicle from Nov 1st to Nov 15th in Paris and I need a 15 passenger van";
console.log(await pipe(query));`],
  ["markdown", `The assistant should also know when a query is **out of scope**: CLINC150 has an \`oos\` class for that. The top three labels show how confident the model is:`],
  ["code", `console.log(await pipe(query, { topK: 3 }));
console.log(await pipe("What is the capital of Mongolia?", { topK: 3 }));`],
  ["markdown", `The teacher is smaller than the book's BERT-base (it is trained from scratch on 15k queries, so a 4-layer, 256-wide model generalises better than a 12-layer one):`],
  ["code", `const cfg = pipe.model.config as any;
console.log({
  layers: cfg.num_hidden_layers, hidden: cfg.hidden_size, heads: cfg.num_attention_heads, ffn: cfg.intermediate_size,
  vocab: cfg.vocab_size, labels: pipe.model.numLabels, parameters: pipe.model.numParameters(),
});`],
  ["markdown", `## The dataset: CLINC150

CLINC150 ("plus" configuration) has 150 intents plus \`oos\`, and is shipped in \`data/clinc150\` (CC BY 3.0, Larson et al. 2019). \`loadClinc()\` returns the Hugging Face \`clinc_oos\` splits in the same order, with the label column as a \`ClassLabel\`.`],
  ["code", `const clinc = loadClinc();
console.log({ train: clinc.train.length, validation: clinc.validation.length, test: clinc.test.length });
const sample = clinc.test.at(42);
console.log(sample);
const intents = clinc.test.features.intent;
console.log(intents.int2str(sample.intent));`],
  ["code", `// A few of the 151 intents, with their number of test queries.
const counts = new Map<number, number>();
for (const row of clinc.test) counts.set(row.intent, (counts.get(row.intent) ?? 0) + 1);
console.table([0, 1, 2, 42, 61, 133, 150].map((id) => ({ id, intent: intents.int2str(id), testQueries: counts.get(id) })));`],
  ["markdown", `## Creating a performance benchmark

The book's \`PerformanceBenchmark\` measures three things for a pipeline: accuracy on the test set, the size of the model on disk, and the latency of one query. It lives in \`lib/benchmark/performanceBenchmark.ts\`; we build it up here one method at a time. The constructor takes the pipeline, the dataset and a name for the optimisation being measured:

\`\`\`ts
const pb = new PerformanceBenchmark(pipe, clinc.test, "BERT baseline");
\`\`\``],
  ["code", `// The smoke profile benchmarks a random subset of the test set; default and full use all 5,500 rows.
const testSet = profileTestSet(profile, clinc.test);
const pb = new PerformanceBenchmark(pipe, testSet, "BERT baseline", profileBenchmarkOptions(profile));`],
  ["markdown", `### Accuracy

\`computeAccuracy()\` classifies every test query and compares the predicted intent name with the label (the book uses \`intents.str2int(pred["label"])\`):

\`\`\`ts
async computeAccuracy() {
  const preds = await this.pipeline(texts, { batchSize: 64 });
  // correct when intents.str2int(pred[0].label) === row.intent
}
\`\`\`

Batching does not change the predictions (padding is masked; a test checks it), it only makes this faster.`],
  ["code", `await pb.computeAccuracy();`],
  ["markdown", `### Model size

The book measures the size of \`torch.save(model.state_dict())\`. Our state dict maps Hugging Face parameter names to tensors; \`computeSize()\` writes it as \`model.safetensors\` to a temporary folder and measures the file. One entry of the state dict:`],
  ["code", `const stateDict = [...pipe.model.stateDict()];
const [name, tensor] = stateDict[42];
console.log(name, tensor.shape, tensor.data.slice(0, 4));
pb.computeSize();`],
  ["markdown", `### Latency

A first look: time a single query a few times with the high-resolution clock (the book's \`perf_counter\`). The first call is slower (warm-up), which is why \`timePipeline()\` runs a few untimed queries first and then averages many timed ones.`],
  ["code", `for (let i = 0; i < 3; i++) {
  const start = process.hrtime.bigint();
  await pipe(query);
  console.log(\`Latency (ms) - \${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(3)}\`);
}`],
  ["code", `await pb.timePipeline();`],
  ["markdown", `How much of that is the pipeline (tokenizing, softmax, sorting labels) and how much is the model? Timing the model alone on the already-tokenized query:`],
  ["code", `const tok = pipe.tokenizer as BertTokenizer;
const enc = tok.call([query]);
const modelInputs = {
  input_ids: tf.tensor2d(enc.input_ids, undefined, "int32"),
  attention_mask: tf.tensor2d(enc.attention_mask, undefined, "int32"),
  token_type_ids: tf.tensor2d(enc.token_type_ids, undefined, "int32"),
};
const m = await measureLatency(() => tf.tidy(() => pipe.model.call(modelInputs).logits.dataSync()), profileBenchmarkOptions(profile));
console.log(\`Model only (ms) - \${m.mean.toFixed(2)} +\\\\- \${m.std.toFixed(2)}\`);
tf.dispose(Object.values(modelInputs));`],
  ["markdown", `### The baseline benchmark

\`runBenchmark()\` puts the three together and returns one row of the \`perfMetrics\` table that every later notebook extends. The rows are also saved to \`outputs/perf_metrics.json\`, from which \`npm start\` writes the final report.`],
  ["code", `const perfMetrics = await pb.runBenchmark();
savePerfMetrics(perfMetrics);
console.log(perfMetrics);`],
  ["markdown", `### A fallback for out-of-scope queries

The assistant must "yield fallback responses" for queries it cannot handle. Besides the \`oos\` class, the pipeline can fall back when it is unsure: below a confidence threshold the label becomes \`oos\`. \`tuneOosThreshold\` picks the threshold that maximises accuracy on the **validation** split; we then check it once on the test set. (The benchmark rows above and below use the plain pipeline, as the book does.)`],
  ["code", `const valSet = profile.name === "smoke" ? clinc.validation.shuffle(0).head(620) : clinc.validation;
const oosId = intents.str2int("oos");
const toIds = (preds: { label: string }[][]) => preds.map((p) => intents.str2int(p[0].label));
const tuned = tuneOosThreshold(await pipe.logits(valSet.column("text"), { batchSize: 64 }), valSet.column("intent"), oosId);
console.log(\`Validation: threshold \${tuned.threshold.toFixed(2)}, accuracy \${tuned.baselineAccuracy.toFixed(4)} → \${tuned.accuracy.toFixed(4)}\`);
const plain = intentReport(toIds(await pipe(testSet.column("text"), { batchSize: 64 })), testSet.column("intent"), oosId);
const withFallback = intentReport(toIds(await pipe(testSet.column("text"), { batchSize: 64, oosThreshold: tuned.threshold })), testSet.column("intent"), oosId);
console.table({ plain: plain, "with fallback": withFallback });`],
  ["markdown", `## Comparing optimisations

Each optimisation will add a point to this plot: average latency on the x axis, accuracy on the y axis, and a bubble whose area is the model size. The current optimisation is drawn solid, earlier ones as open circles. For now there is one point: the baseline every other notebook has to beat.`],
  ["code", `showFigure(plotMetrics(perfMetrics, "BERT baseline"));`],
  ["markdown", `## The same teacher in transformers.js

Once exported to ONNX (notebook 05 explains the export), the teacher runs unchanged in Hugging Face's transformers.js, from a local folder and offline:`],
  ["code", `const { pipeline: hfPipeline, env } = await import("@huggingface/transformers");
const folder = exportOnnxFolder(pipe.model, tok, path.join(OUTPUTS_DIR, "transformersjs", "bert-clinc-teacher"), { quantize: false });
env.allowRemoteModels = false;
env.localModelPath = path.dirname(folder.dir);
const jsPipe = await hfPipeline("text-classification", "bert-clinc-teacher", { dtype: "fp32" });
console.log("transformers.js:", await jsPipe(query), " ours:", await pipe(query));
await jsPipe.dispose();`],
  ["markdown", `Next: **02_distillation** trains a smaller student with knowledge distillation from this teacher; **05_onnx_runtime** exports the models to ONNX and runs them with ONNX Runtime and transformers.js.`],
];

writeJsonAtomic(path.resolve(__dirname, "..", "..", "notebooks", "01_baseline.ipynb"), makeNotebook(cells));
