// pruneStructured refuses a model that still has pruning masks (weight
// transforms): slicing the raw weights would drop what the masks zero.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { ready } from "../helpers/setup";
import { bert } from "../helpers/tinyModels";
import { pruneStructured } from "../../lib/pruning";

test("pruneStructured on a model with weight transforms is a clear error; without them it prunes", async () => {
  await ready;
  const model = bert();
  const name = "bert.encoder.layer.0.intermediate.dense.weight";
  model.registerWeightTransform(name, (w) => tf.mul(w, 0));
  assert.throws(() => pruneStructured(model, { heads: { "0": [0] } }), /pruneStructured: the model has weight transforms \(masks\); make them permanent first/);
  model.registerWeightTransform(name, undefined);
  const small = pruneStructured(model, { heads: { "0": [0] } });
  assert.ok(small.params.get("bert.encoder.layer.0.attention.self.query.weight")!.size < model.params.get("bert.encoder.layer.0.attention.self.query.weight")!.size);
});
