// No leaks (issue #11, item 5): tf.memory()'s tensor count and bytes are the
// same before and after 20 load/dispose cycles, 20 failed loads, pipelines
// (built, failed), a benchmark and training runs (finished and failed).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { ready, tmpDir } from "../helpers/setup";
import { goldenData, goldenTeacher, goldenTokenizer } from "../helpers/golden";
import { AutoModelForSequenceClassification, BertForSequenceClassification, labelMaps, readSafetensors, writeSafetensors } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";
import { pipeline } from "../../lib/pipelines";
import { PerformanceBenchmark, BenchmarkablePipeline } from "../../lib/benchmark";
import { ClassLabel, Dataset } from "../../lib/data";
import { Trainer, computeAccuracy } from "../../lib/training";
import { setLogLevel } from "../../lib/utils/log";

const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "where", "is", "my", "parcel", "refund"]);
const config = { vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, ...labelMaps(["refund", "delivery"]) };

function folder(): string {
  const dir = tmpDir("memory-");
  const model = BertForSequenceClassification.fromConfig(config);
  model.savePretrained(dir);
  tokenizer.savePretrained(dir);
  model.dispose();
  return dir;
}

/** Runs f `n` times and asserts tf.memory()'s tensors and bytes are where they started. */
async function unchanged(what: string, n: number, f: (i: number) => unknown): Promise<{ numTensors: number; numBytes: number }> {
  const before = tf.memory();
  for (let i = 0; i < n; i++) await f(i);
  const after = tf.memory();
  assert.deepEqual({ numTensors: after.numTensors, numBytes: after.numBytes }, { numTensors: before.numTensors, numBytes: before.numBytes }, `${what}: ${before.numTensors} tensors / ${before.numBytes} bytes before, ${after.numTensors} / ${after.numBytes} after ${n} runs`);
  return { numTensors: after.numTensors, numBytes: after.numBytes };
}

test("20 load/dispose cycles and 20 failed loads leave tf.memory() unchanged", async () => {
  await ready;
  const dir = folder();
  const size = BertForSequenceClassification.fromConfig(config);
  const modelBytes = size.numParameters() * 4;
  size.dispose();
  // A loaded model holds exactly its parameters (no copy of the initial weights left behind).
  const base = tf.memory().numBytes;
  const one = AutoModelForSequenceClassification.fromPretrained(dir);
  assert.equal(tf.memory().numBytes - base, modelBytes);
  one.dispose();
  await unchanged("load/dispose", 20, () => AutoModelForSequenceClassification.fromPretrained(dir).dispose());
  const broken = [
    (w: Map<string, unknown>) => w.delete("classifier.bias"),
    (w: Map<string, unknown>) => w.set("bert.extra", { dtype: "F32", shape: [1], data: new Float32Array(1) }),
    (w: Map<string, any>) => (w.get("bert.pooler.dense.bias").data[0] = NaN),
    (w: Map<string, any>) => w.set("classifier.bias", { dtype: "F32", shape: [5], data: new Float32Array(5) }),
  ].map((edit) => {
    const v = tmpDir("memory-broken-");
    fs.cpSync(dir, v, { recursive: true });
    const { tensors } = readSafetensors(path.join(v, "model.safetensors"));
    edit(tensors as Map<string, any>);
    writeSafetensors(path.join(v, "model.safetensors"), tensors);
    return v;
  });
  await unchanged("failed loads", 20, (i) => assert.throws(() => AutoModelForSequenceClassification.fromPretrained(broken[i % broken.length])));
});

test("pipelines (built from a folder, called, disposed; and failed) and a benchmark leave tf.memory() unchanged", async () => {
  await ready;
  const dir = folder();
  await unchanged("pipelines", 20, async () => {
    const pipe = pipeline("text-classification", dir);
    await pipe(["where is my parcel", "refund"], { topK: 2 });
    await assert.rejects(pipe(["where", "\u200b"]), /input 1 has no text/);
    pipe.dispose();
  });
  const big = tmpDir("memory-tok-");
  fs.cpSync(dir, big, { recursive: true });
  new BertTokenizer([...tokenizer.vocab, "extra"]).savePretrained(big);
  await unchanged("failed pipelines", 20, () => assert.throws(() => pipeline("text-classification", big), /vocab_size/));
  const ds = new Dataset([{ text: "where is my parcel", intent: 1 }, { text: "refund", intent: 0 }], { intent: new ClassLabel(["refund", "delivery"]) });
  await unchanged("benchmark", 3, async () => {
    const pipe = pipeline("text-classification", dir);
    const pb = new PerformanceBenchmark(pipe as unknown as BenchmarkablePipeline, ds, "tiny", { warmupRuns: 1, timedRuns: 2, verbose: false });
    await pb.runBenchmark();
    pipe.dispose();
  });
});

test("training runs (finished, with evaluation, checkpoints and the best model reloaded; and failed) leave tf.memory() unchanged", async () => {
  await ready;
  const prev = setLogLevel("warn");
  try {
    await unchanged("training", 3, async () => {
      const model = goldenTeacher();
      const t = new Trainer({ model, tokenizer: goldenTokenizer, args: { outputDir: tmpDir(), numTrainEpochs: 1, perDeviceTrainBatchSize: 16, saveStrategy: "epoch", loadBestModelAtEnd: true, metricForBestModel: "accuracy", disableTqdm: true }, trainDataset: goldenData(), evalDataset: goldenData(16, 3), computeMetrics: computeAccuracy });
      await t.train();
      await t.predict(goldenData(8, 4));
      model.dispose();
    });
    await unchanged("failed training", 3, async () => {
      const model = goldenTeacher();
      tf.tidy(() => model.params.get("classifier.bias")!.assign(tf.tensor1d([NaN, 0])));
      const t = new Trainer({ model, tokenizer: goldenTokenizer, args: { outputDir: tmpDir(), numTrainEpochs: 1, perDeviceTrainBatchSize: 16, evaluationStrategy: "no", disableTqdm: true }, trainDataset: goldenData() });
      await assert.rejects(t.train(), /the loss is NaN/);
      model.dispose();
    });
  } finally {
    setLogLevel(prev);
  }
});
