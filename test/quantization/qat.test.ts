import { test } from "node:test";
import { distill } from "../../lib/compression";
import assert from "node:assert/strict";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { maxAbsDiff, quietly, ready, tmpDir, values } from "../helpers/setup";
import { goldenData, goldenTeacher, goldenTokenizer } from "../helpers/golden";
import { DataCollatorWithPadding, Trainer } from "../../lib/training";
import { Random } from "../../lib/utils/random";
import { DistillationConfig, KnowledgeDistillationLossConfig, studentInit } from "../../lib/distillation";
import { prepareCompression } from "../../lib/compression";
import { MovingAverageMinMaxObserver, QuantizationAwareTrainingConfig, exportQatToOnnx, qatState } from "../../lib/quantization";
import { createModelForProvider } from "../../lib/onnx";
import { decodeModel } from "../../lib/onnx/graphBuilder";
import * as fs from "node:fs";
import * as ort from "onnxruntime-node";

test("QAT fake-quantizes dense weights per output channel on the int8 grid and observes dense inputs; errors are clear", async () => {
  await ready;
  const model = goldenTeacher();
  const manager = prepareCompression(model, new QuantizationAwareTrainingConfig());
  const state = qatState(model)!;
  assert.equal(state.layers.length, model.denseLayers().length);
  // Weights: each output column is a multiple of its own scale max|w|/127.
  const name = "bert.encoder.layer.0.intermediate.dense.weight";
  const raw = model.params.get(name)!;
  const fq = tf.tidy(() => model.weight(name));
  const [rows, cols] = raw.shape;
  const absMax = tf.tidy(() => tf.max(tf.abs(raw), 0)).dataSync();
  const v = values(fq);
  for (let j = 0; j < cols; j++) {
    const s = absMax[j] / 127;
    for (let i = 0; i < rows; i++) {
      const level: number = v[i * cols + j] / s;
      assert.ok(Math.abs(level - Math.round(level)) < 1e-3 && Math.abs(level) <= 127 + 1e-3, `column ${j} row ${i}: ${level}`);
    }
  }
  assert.ok(maxAbsDiff(values(fq), values(raw)) <= Math.max(...absMax) / 127 / 2 + 1e-6, "round-trip error within half a step");
  // Activations: one training forward pass sets each observer to that batch's min and max of the layer input.
  const batch = goldenData().rows.slice(0, 8);
  const inputs = new DataCollatorWithPadding({ padTokenId: 0 }).call(batch);
  tf.tidy(() => model.call(inputs, { training: true, rng: new Random(1) }).logits);
  const obs = state.observers.get("bert.encoder.layer.0.attention.self.query")!;
  assert.equal(obs.observations, 1);
  assert.ok(obs.minVal < 0 && obs.maxVal > 0);
  // A second observation moves the range by the averaging constant.
  const m = new MovingAverageMinMaxObserver(0.5);
  m.observe(-1, 1);
  m.observe(-3, 5);
  assert.deepEqual([m.minVal, m.maxVal], [-2, 3]);
  manager.dispose();
  assert.equal(model.weightTransforms.size + model.inputTransforms.size, 0, "dispose removes the fake quantization");
  assert.equal(qatState(model), undefined);
  assert.throws(() => new QuantizationAwareTrainingConfig({ modules: ["Conv2d" as never] }), /module type "Conv2d" is not supported/);
  assert.throws(() => new QuantizationAwareTrainingConfig({ weightDtype: "float16" as never }), /weightDtype must be "qint8"/);
  assert.throws(() => new QuantizationAwareTrainingConfig({ bogus: 1 } as never), /unknown option "bogus"/);
  assert.throws(() => prepareCompression(model, new QuantizationAwareTrainingConfig({ exclude: model.denseLayers() })), /has no dense \(Linear\) layers to quantize/);
  assert.throws(() => prepareCompression(model, new QuantizationAwareTrainingConfig({ exclude: ["nope"] })), /exclude names layers the model lacks: nope/);
  assert.throws(() => exportQatToOnnx(model, path.join(tmpDir(), "m.onnx")), /was not prepared for quantization-aware training/);
  model.dispose();
});

test("QAT with distillation trains through trainer.distill and converts to an int8 ONNX model whose scales come from training", async () => {
  await ready;
  const teacher = goldenTeacher();
  const student = studentInit(teacher, { init: "distilbert" });
  const qConf = new QuantizationAwareTrainingConfig();
  const dConf = new DistillationConfig({ teacherModel: teacher, criterion: new KnowledgeDistillationLossConfig({ temperature: 2 }) });
  const manager = prepareCompression(student, [dConf, qConf]);
  const trainer = new Trainer({ model: student, tokenizer: goldenTokenizer, args: { outputDir: tmpDir(), numTrainEpochs: 2, perDeviceTrainBatchSize: 16, learningRate: 3e-3, evaluationStrategy: "no", dataParallelWorkers: 2 }, trainDataset: goldenData() });
  await quietly(() => distill(trainer, manager));
  assert.equal(trainer.state.globalStep, 8);
  const dir = tmpDir();
  const file = path.join(dir, "model_int8.onnx");
  const { quantizedNodes, tensorsRange } = exportQatToOnnx(student, file);
  const state = qatState(student)!;
  // Query, key and value read the same tensor (and observed the same values): one range per distinct input.
  const ranges = Object.values(tensorsRange);
  for (const layer of state.layers) {
    const o = state.observers.get(layer)!;
    assert.ok(ranges.some((r) => r.lowest === o.minVal && r.highest === o.maxVal), `the range of ${layer}'s input comes from its observer`);
  }
  // The int8 weight of a layer is exactly round(w / scale) of the trained (fake-quantized) weight.
  const graph = decodeModel(new Uint8Array(fs.readFileSync(file)), file);
  const inits = new Map((graph.graph!.initializer ?? []).map((t) => [t.name!, t]));
  const name = "distilbert.transformer.layer.0.ffn.lin1.weight";
  const qName = [...inits.keys()].find((k) => k.startsWith(name) && k.endsWith("_quantized"))!;
  assert.ok(qName, `no int8 initializer for ${name} (have ${[...inits.keys()].filter((k) => k.startsWith(name)).join(", ")})`);
  const q = inits.get(qName)!;
  assert.equal(q.dataType, 3, "INT8");
  const int8 = new Int8Array(new Uint8Array(q.rawData!).buffer.slice(0));
  const w = tf.tidy(() => student.weight(name));
  const [rows, cols] = w.shape;
  const absMax = tf.tidy(() => tf.max(tf.abs(w), 0)).dataSync();
  const wv = values(w);
  let mismatches = 0;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) if (Math.round(wv[i * cols + j] / (absMax[j] / 127)) !== int8[i * cols + j]) mismatches++;
  assert.equal(mismatches, 0);
  assert.ok(quantizedNodes.length >= state.layers.length);
  // ONNX Runtime runs it and agrees with the fake-quantized TF.js model.
  const session = await createModelForProvider(file);
  const rowsIn = goldenData().rows.slice(0, 8);
  const inputs = new DataCollatorWithPadding({ padTokenId: 0 }).call(rowsIn);
  const tfLogits = tf.tidy(() => student.call(inputs).logits);
  const i64 = (t: tf.Tensor) => new ort.Tensor("int64", BigInt64Array.from(Array.from(t.dataSync()).map(BigInt)), t.shape);
  const out = await session.run({ input_ids: i64(inputs.input_ids), attention_mask: i64(inputs.attention_mask) });
  assert.ok(maxAbsDiff(out.logits.data as Float32Array, values(tfLogits)) < 0.05, `int8 ONNX vs QAT TF.js logits differ by ${maxAbsDiff(out.logits.data as Float32Array, values(tfLogits))}`);
  await session.release();
  manager.dispose();
  student.dispose();
  teacher.dispose();
});
