import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "./lib/backend";
import { BertForSequenceClassification, labelMaps } from "./lib/models";
import { Random } from "./lib/utils/random";
async function main() {
  await initBackend();
  const names = Array.from({length: 151}, (_, i) => `l${i}`);
  const model = BertForSequenceClassification.fromConfig({ vocab_size: 7312, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024, max_position_embeddings: 64, ...labelMaps(names) });
  const B = 64, L = 14; const rng = new Random(1);
  const ids = tf.tensor2d(Array.from({length: B*L}, () => 5 + rng.int(7000)), [B, L], "int32");
  const mask = tf.ones([B, L], "int32") as tf.Tensor2D;
  const labels = tf.tensor1d(Array.from({length: B}, () => rng.int(151)), "int32");
  const vars = model.trainableVariables();
  const step = () => { const { value, grads } = tf.variableGrads(() => {
      const { logits } = model.call({ input_ids: ids, attention_mask: mask }, { training: true, rng });
      return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 151), logits) as tf.Scalar;
    }, vars); tf.dispose([value, ...Object.values(grads)]); };
  step();
  const prof = await tf.profile(step);
  const agg = new Map<string, {n: number, ms: number}>();
  for (const k of prof.kernels) { const key = k.name + " " + JSON.stringify(k.inputShapes.slice(0,2)); const a = agg.get(key) ?? {n:0, ms:0}; a.n++; a.ms += (k.kernelTimeMs as number); agg.set(key, a); }
  const byName = new Map<string, number>(); for (const k of prof.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  console.log("total", prof.kernels.reduce((a, k) => a + (k.kernelTimeMs as number), 0).toFixed(0), "kernels", prof.kernels.length);
  console.log([...byName].sort((a,b)=>b[1]-a[1]).slice(0,15).map(([k,v])=>`${k}:${v.toFixed(0)}`).join(" "));
  console.log([...agg].sort((a,b)=>b[1].ms-a[1].ms).slice(0,25).map(([k,v])=>`${v.ms.toFixed(0)}ms x${v.n} ${k}`).join("\n"));
}
main();
