// Where a training step's time goes: tf.profile over one step of the teacher
// architecture (4 layers, hidden 256, batch 64, 14 tokens), kernel times
// summed by kernel name. `npm run bench -- kernels`.
import * as tf from "@tensorflow/tfjs-core";
import { BertForSequenceClassification, labelMaps } from "../lib/models";
import { crossEntropy } from "../lib/training/loss";
import { Random } from "../lib/utils/random";

export interface KernelRow { kernel: string; calls: number; ms: number; share: number }

export async function benchKernels(batch = 64, seq = 14): Promise<KernelRow[]> {
  const names = Array.from({ length: 151 }, (_, i) => `l${i}`);
  const model = BertForSequenceClassification.fromConfig({ vocab_size: 7312, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024, max_position_embeddings: 64, ...labelMaps(names) });
  const rng = new Random(1);
  const ids = tf.tensor2d(Array.from({ length: batch * seq }, () => 5 + rng.int(7000)), [batch, seq], "int32");
  const mask = tf.ones([batch, seq], "int32") as tf.Tensor2D;
  const labels = tf.tensor1d(Array.from({ length: batch }, () => rng.int(151)), "int32");
  const vars = model.trainableVariables();
  const step = () => {
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.call({ input_ids: ids, attention_mask: mask }, { training: true, rng }).logits, labels), vars);
    tf.dispose([value, ...Object.values(grads)]);
  };
  step(); // warm-up
  const prof = await tf.profile(step);
  // Custom gradients and fused ops also appear as wrapper entries ("forward", "fusedMatMul__op") around
  // the kernels they run: keep only registered kernels, so nothing is counted twice.
  const kernels = prof.kernels.filter((k) => tf.getKernel(k.name, tf.getBackend()) !== undefined);
  const total = kernels.reduce((a, k) => a + (k.kernelTimeMs as number), 0);
  const byName = new Map<string, { calls: number; ms: number }>();
  for (const k of kernels) {
    const a = byName.get(k.name) ?? { calls: 0, ms: 0 };
    a.calls++;
    a.ms += k.kernelTimeMs as number;
    byName.set(k.name, a);
  }
  tf.dispose([ids, mask, labels]);
  model.dispose();
  return [...byName].sort((a, b) => b[1].ms - a[1].ms).map(([kernel, v]) => ({ kernel, calls: v.calls, ms: v.ms, share: v.ms / total }));
}
