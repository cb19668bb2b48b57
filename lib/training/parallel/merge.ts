// Data-parallel gradient merge: one batch split into shards, one for this
// thread and one per worker; each worker's gradients (with respect to the
// transformed weights it was sent) mapped back through the weight transforms,
// then averaged by shard size.
import * as tf from "@tensorflow/tfjs-core";
import type { PreTrainedModel } from "../../models/modeling";
import type { DataCollator, EncodedRow } from "../data";
import type { RowTargets } from "../losses";
import { ComputeLossContext, ComputeLossOutput, lossAndGradients } from "../step";
import type { GradientWorkerPool } from "./pool";

/** What one data-parallel step needs besides the batch: the model, how to batch and score it, and what is trained. */
export interface ParallelStepContext {
  pool: GradientWorkerPool;
  model: PreTrainedModel;
  collator: DataCollator;
  computeLoss: (ctx: ComputeLossContext) => ComputeLossOutput;
  rowTargets: (rows: readonly EncodedRow[]) => RowTargets;
  vars: tf.Variable[];
  /** tf variable name → parameter name. */
  paramOf: Map<string, string>;
}

/**
 * A worker's gradients (by parameter, with respect to the weights it was
 * sent) as gradients of what is trained: through each weight transform's
 * backward, which also yields the gradients of the transform's own variables.
 *
 * @example const grads = untransformGradients(model, worker.grads, new Map([...model.params].map(([k, v]) => [k, v.shape])));
 */
export function untransformGradients(model: PreTrainedModel, raw: Record<string, Float32Array>, shapes: Map<string, number[]>): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  const add = (name: string, g: tf.Tensor) => {
    const prev = out.get(name);
    out.set(name, prev ? tf.add(prev, g) : g);
    if (prev) tf.dispose([prev, g]);
  };
  for (const [name, data] of Object.entries(raw)) {
    const g = tf.tensor(data, shapes.get(name));
    const t = model.weightTransforms.get(name);
    if (!t) {
      add(name, g);
      continue;
    }
    const { weight, extra } = t.backward!(g, model.params.get(name)!, name);
    g.dispose();
    add(name, weight);
    for (const [k, e] of extra ?? []) add(k, e);
  }
  return out;
}

/**
 * Loss and gradients of one batch split across this thread and the pool's
 * workers, averaged by shard size (so the result equals one thread's up to
 * float rounding).
 *
 * @example const { loss, grads } = await parallelStep(ctx, rows, seed);
 */
export async function parallelStep(ctx: ParallelStepContext, rows: EncodedRow[], seed: number): Promise<{ loss: number; grads: Map<string, tf.Tensor> }> {
  const { pool, model } = ctx;
  const paramShapes = new Map([...model.params].map(([k, v]) => [k, v.shape]));
  const parts = pool.size + 1;
  const shards = Array.from({ length: parts }, (_, i) => rows.slice(Math.floor((i * rows.length) / parts), Math.floor(((i + 1) * rows.length) / parts))).filter((s) => s.length > 0);
  const targets = shards.map((s) => ctx.rowTargets(s));
  const remote = shards.slice(1).map((s, i) => pool.gradients(i, s, seed * 8 + i + 1, targets[i + 1]));
  const local = lossAndGradients({ model, collator: ctx.collator, rows: shards[0], seed: seed * 8, computeLoss: ctx.computeLoss, targets: targets[0], vars: ctx.vars, nameOf: ctx.paramOf });
  const others = await Promise.all(remote);
  const n = rows.length;
  const w0 = shards[0].length / n;
  let loss = local.loss * w0;
  const remoteGrads = others.map((o) => untransformGradients(model, o.grads, paramShapes));
  const grads = new Map<string, tf.Tensor>();
  for (const [name, g] of local.grads) {
    grads.set(name, tf.tidy(() => remoteGrads.reduce((acc, r, i) => (r.has(name) ? tf.add(acc, tf.mul(r.get(name)!, shards[i + 1].length / n)) : acc), tf.mul(g, w0))));
    g.dispose();
  }
  for (const r of remoteGrads) tf.dispose([...r.values()]);
  others.forEach((o, i) => (loss += o.loss * (shards[i + 1].length / n)));
  return { loss, grads };
}
