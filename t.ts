import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "./lib/backend";
import { BertForSequenceClassification, labelMaps } from "./lib/models";
import { Random } from "./lib/utils/random";
async function main() {
  await initBackend();
  const names = Array.from({length: 151}, (_, i) => `l${i}`);
  const model = BertForSequenceClassification.fromConfig({ vocab_size: 7312, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024, max_position_embeddings: 64, ...labelMaps(names) });
  console.log("params", model.numParameters());
  const B = 64, L = 14; const rng = new Random(1);
  const ids = tf.tensor2d(Array.from({length: B*L}, () => 5 + rng.int(7000)), [B, L], "int32");
  const mask = tf.ones([B, L], "int32") as tf.Tensor2D;
  const labels = tf.tensor1d(Array.from({length: B}, () => rng.int(151)), "int32");
  const vars = model.trainableVariables();
  for (let step = 0; step < 6; step++) {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = model.call({ input_ids: ids, attention_mask: mask }, { training: true, rng });
      return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 151), logits) as tf.Scalar;
    }, vars);
    const l = value.dataSync()[0];
    for (const g of Object.values(grads)) g.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
    console.log(step, l.toFixed(3), (performance.now() - t0).toFixed(0), "ms", "tensors", tf.memory().numTensors, Object.keys(grads).length);
  }
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) tf.tidy(() => model.call({ input_ids: tf.tensor2d([[2, 50, 60, 70, 80, 90, 100, 3]], [1, 8], "int32") }).logits.dataSync());
  console.log("infer ms", (performance.now() - t0) / 20);
}
main();
