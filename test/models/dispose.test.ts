// A disposed model refuses every use with "<ClassName>: this model was
// disposed" (issue #26): calling it, saving it (no file written), reading
// or loading its weights, training it; a second dispose does nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { ready, tmpDir } from "../helpers/setup";
import { EnsembleForSequenceClassification } from "../../lib/models/ensemble";
import type { PreTrainedModel } from "../../lib/models";
import { quantizeDynamicModel } from "../../lib/quantization";
import { bert, bow, distilbert, tokenizer } from "../helpers/tinyModels";

const inputs = () => ({ input_ids: tf.tensor2d([[2, 5, 6, 3]], [1, 4], "int32"), attention_mask: tf.tensor2d([[1, 1, 1, 1]], [1, 4], "int32") });

function refuses(what: string, f: () => unknown, cls: string): void {
  assert.throws(f, (err: Error) => {
    assert.match(err.message, new RegExp(`^${cls}: this model was disposed`), `${what}: ${err.message}`);
    return true;
  }, what);
}

for (const [cls, make] of [["BertForSequenceClassification", () => bert()], ["DistilBertForSequenceClassification", () => distilbert()]] as const) {
  test(`${cls}: every use after dispose() throws "this model was disposed"; saving writes nothing; dispose twice is a no-op`, async () => {
    await ready;
    const dir = tmpDir("dispose-");
    const saved = path.join(dir, "saved");
    const model: PreTrainedModel = make();
    model.savePretrained(saved);
    const before = tf.memory().numTensors;
    const n = model.params.size;
    model.dispose();
    assert.equal(tf.memory().numTensors, before - n, "the weights are released");
    assert.equal(model.isDisposed, true);
    model.dispose(); // no-op
    const out = path.join(dir, "after-dispose");
    refuses("call", () => tf.tidy(() => model.call(inputs()).logits), cls);
    refuses("savePretrained", () => model.savePretrained(out), cls);
    assert.equal(fs.existsSync(out), false, "a disposed model writes no folder");
    refuses("stateDict", () => model.stateDict(), cls);
    refuses("loadWeightsFrom", () => model.loadWeightsFrom(saved), cls);
    refuses("trainableVariables (what training asks)", () => model.trainableVariables(), cls);
    refuses("numParameters", () => model.numParameters(), cls);
    refuses("weight", () => model.weight(model.scheme.wordEmbeddings + ".weight"), cls);
    refuses("registerWeightTransform", () => model.registerWeightTransform(model.scheme.wordEmbeddings + ".weight", (w) => w), cls);
    refuses("params", () => model.params, cls);
    assert.equal(model.config.model_type, make === bert ? "bert" : model.config.model_type, "its config stays readable");
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

test("BagOfWordsClassifier and EnsembleForSequenceClassification refuse every use after dispose(); dispose twice is a no-op", async () => {
  await ready;
  const dir = tmpDir("dispose-");
  const b = bow();
  b.dispose();
  b.dispose();
  refuses("call", () => tf.tidy(() => b.call(inputs()).logits), "BagOfWordsClassifier");
  refuses("savePretrained", () => b.savePretrained(path.join(dir, "bow")), "BagOfWordsClassifier");
  refuses("stateDict", () => b.stateDict(), "BagOfWordsClassifier");
  assert.equal(fs.existsSync(path.join(dir, "bow")), false);
  const ensemble = new EnsembleForSequenceClassification([bert(), bow()]);
  ensemble.dispose();
  ensemble.dispose();
  refuses("call", () => tf.tidy(() => ensemble.call(inputs()).logits), "EnsembleForSequenceClassification");
  refuses("savePretrained", () => ensemble.savePretrained(path.join(dir, "ensemble")), "EnsembleForSequenceClassification");
  assert.equal(fs.existsSync(path.join(dir, "ensemble")), false);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("DynamicQuantizedModel refuses forward, savePretrained and export after dispose()", async () => {
  await ready;
  const dir = tmpDir("dispose-");
  const model = bert();
  const q = quantizeDynamicModel(model, ["Linear"], "qint8");
  model.dispose();
  await q.forward(tokenizer.call(["a b c"]) as any); // works before
  q.dispose();
  q.dispose();
  await assert.rejects(q.forward(tokenizer.call(["a b c"]) as any), /^Error: DynamicQuantizedModel: this model was disposed/);
  refuses("savePretrained", () => q.savePretrained(path.join(dir, "q")), "DynamicQuantizedModel");
  refuses("exportToOnnx", () => q.exportToOnnx(path.join(dir, "q.onnx")), "DynamicQuantizedModel");
  assert.equal(fs.existsSync(path.join(dir, "q")), false);
  fs.rmSync(dir, { recursive: true, force: true });
});
