// Writes notebooks/02_distillation.ipynb.
import * as path from "node:path";
import { makeNotebook } from "../../lib/notebook";
import { writeJsonAtomic } from "../../lib/utils/fs";

const cells: ["code" | "markdown", string][] = [
  ["markdown", `# Making Transformers Efficient in Production — 2. Knowledge distillation

The chapter's section *Making Models Smaller via Knowledge Distillation*: train a small **student** to mimic a large **teacher**. The teacher's output distribution carries more information than the hard label ("dark knowledge": which wrong intents are *almost* right), and the student learns from both.

Default and smoke profiles benchmark the students shipped in \`data/models\` (trained by \`npm run train:students\`) and run short trainings to show the machinery; \`WORKBOOK_PROFILE=full\` retrains them here.`],
  ["code", `import * as tf from "@tensorflow/tfjs-core";
import * as path from "node:path";
import * as fs from "node:fs";
import {
  initBackend, workbookProfile, profileTestSet, profileBenchmarkOptions, loadClinc, pipeline, modelPath, AutoModelForSequenceClassification, BertTokenizer, OUTPUTS_DIR,
  PerformanceBenchmark, loadPerfMetrics, savePerfMetrics, plotMetrics, showFigure, lineChart,
  tokenizeDataset, computeAccuracy, DistillationTrainer, studentInit, kdLoss, crossEntropy,
  KnowledgeDistillationLossConfig, IntermediateLayersKnowledgeDistillationLossConfig, DistillationConfig, prepareCompression,
  DataCollatorWithPadding, AdamW, linearScheduleWithWarmup, epochBatches, Random, Trainer, PreTrainedModel,
  profileModelPath, trainStudent,
} from "workbook";

const profile = workbookProfile();
await initBackend();
const clinc = loadClinc();
const testSet = profileTestSet(profile, clinc.test);
const benchOptions = profileBenchmarkOptions(profile);
const teacherCkpt = profileModelPath("bert-clinc-teacher");
const teacher = AutoModelForSequenceClassification.fromPretrained(teacherCkpt, { quiet: true });
const tokenizer = BertTokenizer.fromPretrained(teacherCkpt);
let perfMetrics = loadPerfMetrics();
if (!perfMetrics["BERT baseline"]) {
  perfMetrics = savePerfMetrics(await new PerformanceBenchmark(pipeline("text-classification", teacher, { tokenizer: tokenizer }), testSet, "BERT baseline", benchOptions).runBenchmark());
}
console.log(\`Profile \${profile.name}; rows so far: \${Object.keys(perfMetrics).join(", ")}\`);`],
  ["markdown", `## Softened probabilities

The teacher's logits $z$ become probabilities through a softmax with temperature $T$: $p_i = \\exp(z_i/T) / \\sum_j \\exp(z_j/T)$. At $T = 1$ this is the usual softmax; a higher $T$ flattens the distribution and reveals how the teacher ranks the other classes. Here the teacher's top five intents for a query, at three temperatures:`],
  ["code", `const query = "Hey, I'd like to rent a vehicle from Nov 1st to Nov 15th in Paris and I need a 15 passenger van";
const enc = tokenizer.call([query]);
const logits = Array.from(tf.tidy(() => teacher.call({
  input_ids: tf.tensor2d(enc.input_ids, undefined, "int32"), attention_mask: tf.tensor2d(enc.attention_mask, undefined, "int32"),
}).logits.dataSync()));
const top = logits.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 5).map(([, i]) => i);
const softmaxT = (T: number) => { const e = logits.map((v) => Math.exp(v / T)); const z = e.reduce((a, b) => a + b, 0); return top.map((i) => e[i] / z); };
console.log(top.map((i) => teacher.config.id2label[String(i)]));
showFigure(lineChart([1, 2, 5].map((T) => ({ name: \`T = \${T}\`, x: [1, 2, 3, 4, 5], y: softmaxT(T) })), { title: "Teacher probabilities of its top-5 intents", xTitle: "rank", yTitle: "probability" }));`],
  ["markdown", `## The distillation loss

The student is trained on $L = \\alpha L_{CE} + (1-\\alpha) L_{KD}$, where $L_{CE}$ is the usual cross-entropy with the labels and $L_{KD} = T^2\\, D_{KL}(p^{teacher}_T \\,\\|\\, p^{student}_T)$, averaged over the batch; the $T^2$ keeps the gradient scale independent of $T$. \`kdLoss\` implements it (tested against hand-computed values); a check on two rows:`],
  ["code", `const sLogits = tf.tensor2d([[1, 2, 0.5], [0, -1, 3]]);
const tLogits = tf.tensor2d([[2, 1, 0], [0.5, 0.5, 4]]);
const labels = tf.tensor1d([1, 2], "int32");
console.log({
  crossEntropy: crossEntropy(sLogits, labels).dataSync()[0],
  kdLossT2: kdLoss(sLogits, tLogits, 2).dataSync()[0],
  kdLossSameLogits: kdLoss(sLogits, sLogits, 2).dataSync()[0],
});`],
  ["markdown", `## A knowledge distillation trainer

As in the book, \`DistillationTrainingArguments\` adds \`alpha\` and \`temperature\` to the training arguments, and \`DistillationTrainer\` subclasses \`Trainer\`, overriding only \`computeLoss\`:

\`\`\`ts
override computeLoss(model, inputs, returnOutputs, rng) {
  const outputs = model.call(inputs, { training: true, rng });
  const ce = crossEntropy(outputs.logits, inputs.labels);
  const teacherLogits = this.teacherLogits(inputs);            // no gradient reaches the teacher
  const loss = distillationLoss(ce, outputs.logits, teacherLogits, this.alpha, this.temperature);
  return returnOutputs ? { loss, outputs } : loss;
}
\`\`\`

Because our training inputs are not augmented here, the teacher's logits can be cached per example (\`cacheTeacherLogits\`): the loss is identical (tested) and each step skips the teacher's forward pass.`],
  ["markdown", `## Choosing a student

The chapter distils into DistilBERT. Our student is a \`DistilBertForSequenceClassification\` with half the teacher's layers and the teacher's labels (\`id2label\`, \`label2id\`). Like DistilBERT, which started from BERT's weights, \`studentInit(teacher, { init: "distilbert" })\` copies the teacher's embeddings and every other layer.`],
  ["code", `const student = studentInit(teacher, { init: "distilbert" });
const cfg = student.config as any;
console.log({ model_type: cfg.model_type, n_layers: cfg.n_layers, dim: cfg.dim, n_heads: cfg.n_heads, hidden_dim: cfg.hidden_dim, labels: student.numLabels });
console.log(\`Parameters: teacher \${(teacher.numParameters() / 1e6).toFixed(2)}M, student \${(student.numParameters() / 1e6).toFixed(2)}M\`);
student.dispose();`],
  ["markdown", `## Training the student

The same recipe trains two students: **DistilBERT** (the student fine-tuned alone: $\\alpha = 1$) and **Distillation** ($\\alpha = 0.5$, $T = 2$, the book's defaults). Both see each \`oos\` training query four times per epoch (\`oosOversample: 4\`): \`oos\` is 1.6% of the training split but 18% of the test split, and a model that rarely sees it rarely predicts it. The full runs are \`npm run train:students -- alone\` and \`-- distill\` (or this notebook with \`WORKBOOK_PROFILE=full\`); here a short run on a subset shows the trainer at work, with its per-epoch table.`],
  ["code", `const trainRows = profile.retrain ? clinc.train : clinc.train.shuffle(0).head(Math.min(profile.trainRows, profile.name === "smoke" ? 512 : 2048));
const evalRows = profile.retrain ? clinc.validation : clinc.validation.shuffle(0).head(profile.name === "smoke" ? 256 : 1024);
const trainDs = tokenizeDataset(trainRows, tokenizer, 64);
const evalDs = tokenizeDataset(evalRows, tokenizer, 64);
function distillationTrainer(alpha: number, outputDir: string): DistillationTrainer {
  return new DistillationTrainer({
    model: studentInit(teacher, { init: "distilbert" }), teacherModel: teacher, tokenizer: tokenizer, cacheTeacherLogits: true,
    args: {
      outputDir, alpha, temperature: 2, numTrainEpochs: profile.retrain ? profile.trainEpochs : 1, learningRate: 5e-4,
      perDeviceTrainBatchSize: 64, perDeviceEvalBatchSize: 128, warmupRatio: 0.1, weightDecay: 0.01, seed: 42,
      evaluationStrategy: "epoch", disableTqdm: true,
    },
    trainDataset: trainDs, evalDataset: evalDs, computeMetrics: computeAccuracy,
  });
}
const demo = distillationTrainer(0.5, path.join(OUTPUTS_DIR, "runs", "distillation-demo"));
const demoOutput = await demo.train();
console.log(\`\${demoOutput.globalStep} steps in \${demoOutput.metrics.trainRuntime.toFixed(1)} s (\${demoOutput.metrics.trainSamplesPerSecond.toFixed(0)} samples/s)\`);`],
  ["markdown", `The shipped students were trained with this recipe on the whole training set; their epoch tables come from their \`training_report.json\`:`],
  ["code", `// The shipped student, or (full profile) one retrained here with trainStudent(), the recipe of npm run train:students.
async function studentPath(name: string): Promise<string> {
  if (!profile.retrain) return modelPath(name);
  const dir = path.join(OUTPUTS_DIR, "models", name);
  if (!fs.existsSync(path.join(dir, "config.json"))) await trainStudent(name === "distilbert-clinc" ? "alone" : "distill", { out: dir, teacherDir: teacherCkpt });
  return dir;
}
for (const name of ["distilbert-clinc", "distilbert-clinc-distilled"]) {
  const dir = await studentPath(name);
  const reportFile = path.join(dir, "training_report.json");
  if (!fs.existsSync(reportFile)) continue;
  const report = JSON.parse(fs.readFileSync(reportFile, "utf8"));
  console.log(\`\${name}: alpha \${report.recipe.alpha}, T \${report.recipe.temperature}, oos oversampling \${report.recipe.oosOversample ?? 1}x, \${report.recipe.numTrainEpochs} epochs, \${report.secondsPerEpoch.toFixed(0)} s/epoch, test accuracy \${report.test.accuracy.toFixed(4)}\`);
  console.table(report.logHistory.filter((e: any) => e.evalAccuracy !== undefined).map((e: any) => ({ epoch: e.epoch, validationLoss: Number(e.evalLoss.toFixed(4)), accuracy: Number(e.evalAccuracy.toFixed(4)) })));
}`],
  ["markdown", `## Benchmarking the students

First the student trained alone ("DistilBERT"), then the distilled one ("Distillation"), on the same test set and latency query as the baseline.`],
  ["code", `const alone = pipeline("text-classification", await studentPath("distilbert-clinc"));
perfMetrics = savePerfMetrics(await new PerformanceBenchmark(alone, testSet, "DistilBERT", benchOptions).runBenchmark());
showFigure(plotMetrics(perfMetrics, "DistilBERT"));`],
  ["code", `const distilled = pipeline("text-classification", await studentPath("distilbert-clinc-distilled"));
perfMetrics = savePerfMetrics(await new PerformanceBenchmark(distilled, testSet, "Distillation", benchOptions).runBenchmark());
showFigure(plotMetrics(perfMetrics, "Distillation"));
const base = perfMetrics["BERT baseline"];
const dist = perfMetrics["Distillation"];
console.log(\`Distillation vs baseline: \${(base.timeAvgMs / dist.timeAvgMs).toFixed(2)}x faster, \${(base.sizeMb / dist.sizeMb).toFixed(2)}x smaller, accuracy \${((dist.accuracy - base.accuracy) * 100).toFixed(2)} points\`);`],
  ["markdown", `## Beyond the chapter: Intel-style distillation configs and training hooks

Intel Neural Compressor and Intel Extension for Transformers describe distillation as configuration: a **criterion** (which losses, which weights), a **DistillationConfig** (teacher + criterion), and a **compression manager** whose hooks plug into any training loop. \`lib/distillation/compression.ts\` provides the same API; the Trainer runs the same hooks (\`trainer.distill(config)\`), so there is one code path. Each variant below trains for the same short budget from the same DistilBERT-style initialisation, then is benchmarked.`],
  ["code", `const budgetEpochs = profile.retrain ? profile.trainEpochs : 1;
const variantArgs = (name: string) => ({
  outputDir: path.join(OUTPUTS_DIR, "runs", name), numTrainEpochs: budgetEpochs, learningRate: 5e-4, perDeviceTrainBatchSize: 64,
  perDeviceEvalBatchSize: 128, warmupRatio: 0.1, weightDecay: 0.01, seed: 42, evaluationStrategy: "no" as const, disableTqdm: true,
});
async function benchmarkStudent(model: PreTrainedModel, name: string) {
  const rows = await new PerformanceBenchmark(pipeline("text-classification", model, { tokenizer: tokenizer }), testSet, name, { ...benchOptions, verbose: false }).runBenchmark();
  perfMetrics = savePerfMetrics(rows);
  console.log(name, rows[name]);
}
// 1. Logit distillation as a criterion: CE with the labels and soft CE with the teacher, 0.5 / 0.5, T = 2.
const logitConfig = new DistillationConfig({
  teacherModel: teacher,
  criterion: new KnowledgeDistillationLossConfig({ temperature: 2, lossTypes: ["CE", "CE"], lossWeightRatio: [0.5, 0.5] }),
});
const logitStudent = studentInit(teacher, { init: "distilbert" });
await new Trainer({ model: logitStudent, tokenizer: tokenizer, args: variantArgs("kd-logits"), trainDataset: trainDs }).distill(logitConfig);
await benchmarkStudent(logitStudent, "KD criterion (logits)");`],
  ["code", `// 2. Intermediate layers: student layer 1 ↔ teacher layer 2, student layer 2 ↔ teacher layer 4 (hidden states, MSE), plus the student's own loss.
const layerConfig = new DistillationConfig({
  teacherModel: teacher,
  criterion: new IntermediateLayersKnowledgeDistillationLossConfig({
    layerMappings: [["hidden_states.1", "hidden_states.2"], ["hidden_states.2", "hidden_states.4"]],
    lossTypes: ["MSE", "MSE"], lossWeightRatio: [0.5, 0.5], addOriginLoss: true,
  }),
});
const layerStudent = studentInit(teacher, { init: "distilbert" });
await new Trainer({ model: layerStudent, tokenizer: tokenizer, args: variantArgs("kd-layers"), trainDataset: trainDs }).distill(layerConfig);
await benchmarkStudent(layerStudent, "KD criterion (intermediate layers)");`],
  ["markdown", `The same logit criterion, driven from a hand-written training loop that calls the manager's hooks: the loop owns batching, the optimizer and the schedule; the manager owns the teacher and the loss.`],
  ["code", `const hookStudent = studentInit(teacher, { init: "distilbert" });
const manager = prepareCompression(hookStudent, logitConfig);
const collator = new DataCollatorWithPadding({ padTokenId: tokenizer.padTokenId });
const optimizer = new AdamW(hookStudent.params, { weightDecay: 0.01 });
const lengths = trainDs.rows.map((r) => r.input_ids.length);
const stepsPerEpoch = Math.ceil(trainDs.length / 64);
const schedule = linearScheduleWithWarmup(5e-4, Math.ceil(0.1 * stepsPerEpoch * budgetEpochs), stepsPerEpoch * budgetEpochs);
const nameOf = new Map([...hookStudent.params].map(([n, v]) => [v.name, n]));
let globalStep = 0;
manager.onTrainBegin();
for (let epoch = 0; epoch < budgetEpochs; epoch++) {
  manager.onEpochBegin(epoch);
  let lossSum = 0;
  const batches = epochBatches(lengths, 64, 42 + epoch, true);
  for (const batch of batches) {
    manager.onStepBegin(globalStep);
    const inputs = collator.call(batch.map((i) => trainDs.rows[i]));
    const rng = new Random(globalStep);
    const { value, grads } = tf.variableGrads(() => {
      const outputs = manager.model.call(inputs, manager.forwardOptions({ training: true, rng }));
      return manager.onAfterComputeLoss(inputs, outputs, crossEntropy(outputs.logits, inputs.labels));
    }, manager.trainableVariables());
    lossSum += value.dataSync()[0];
    manager.onBeforeOptimizerStep();
    optimizer.applyGradients(new Map(Object.entries(grads).map(([k, g]) => [nameOf.get(k)!, g] as [string, tf.Tensor])), schedule(globalStep));
    tf.dispose([value, ...Object.values(grads), ...Object.values(inputs)]);
    manager.onStepEnd();
    globalStep++;
  }
  manager.onEpochEnd();
  console.log(\`epoch \${epoch + 1}: mean loss \${(lossSum / batches.length).toFixed(4)}\`);
}
manager.onTrainEnd();
await benchmarkStudent(hookStudent, "KD hooks (hand-written loop)");`],
  ["code", `showFigure(plotMetrics(perfMetrics, "KD criterion (intermediate layers)"));
const a = perfMetrics["KD criterion (logits)"].accuracy;
const b = perfMetrics["KD criterion (intermediate layers)"].accuracy;
console.log(\`With \${budgetEpochs} epoch(s) on \${trainDs.length} queries: intermediate-layer KD \${b > a ? "beats" : "does not beat"} logit-only KD (\${(b * 100).toFixed(2)}% vs \${(a * 100).toFixed(2)}%).\`);`],
  ["markdown", `Next: **05_onnx_runtime** runs the best student with ONNX Runtime and quantizes it.`],
];

writeJsonAtomic(path.resolve(__dirname, "..", "..", "notebooks", "02_distillation.ipynb"), makeNotebook(cells));
