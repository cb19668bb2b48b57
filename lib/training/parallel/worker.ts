// A data-parallel gradient worker: holds a replica of the model, computes the
// loss and gradients of the shards it is sent, and takes new weights after
// every optimizer step. Started by GradientWorkerPool.
import { parentPort } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../backend";
import { createModelFromConfig } from "../../models/auto";
import { PreTrainedModel } from "../../models/modeling";
import { DataCollatorWithPadding } from "../data";
import { shardGradients } from "./gradients";
import type { FromWorker, ShardDistillation, ToWorker } from "./protocol";

let model: PreTrainedModel | undefined;
let collator: DataCollatorWithPadding | undefined;
let labelSmoothing = 0;
let distillation: ShardDistillation | undefined;

function setWeights(weights: Record<string, Float32Array>): void {
  for (const [name, data] of Object.entries(weights)) {
    const v = model!.params.get(name);
    if (!v) throw new Error(`worker: unknown parameter ${name}`);
    tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
  }
}

async function handle(msg: ToWorker): Promise<FromWorker | undefined> {
  switch (msg.type) {
    case "init": {
      const backend = await initBackend({ quiet: true });
      model = createModelFromConfig(msg.config);
      setWeights(msg.weights);
      collator = new DataCollatorWithPadding(msg.collator);
      labelSmoothing = msg.labelSmoothing;
      distillation = msg.distillation;
      return { type: "ready", backend };
    }
    case "weights":
      setWeights(msg.weights);
      return undefined;
    case "grads": {
      if (distillation && !msg.teacherLogits) throw new Error("worker: a distillation shard came without teacher logits");
      const kd = distillation && msg.teacherLogits ? { ...distillation, teacherLogits: msg.teacherLogits } : undefined;
      const { loss, grads } = shardGradients(model!, collator!, msg.rows, msg.seed, labelSmoothing, kd);
      const out: Record<string, Float32Array> = {};
      for (const [name, g] of grads) out[name] = g.dataSync() as Float32Array;
      const value = loss.dataSync()[0];
      tf.dispose([loss, ...grads.values()]);
      return { type: "grads", loss: value, grads: out };
    }
  }
}

// Messages are handled one at a time, in order (init is async).
let queue = Promise.resolve();
parentPort!.on("message", (msg: ToWorker) => {
  queue = queue.then(async () => {
    try {
      const reply = await handle(msg);
      if (reply) parentPort!.postMessage(reply, reply.type === "grads" ? Object.values(reply.grads).map((a) => a.buffer as ArrayBuffer) : []);
    } catch (err) {
      parentPort!.postMessage({ type: "error", message: (err as Error).stack ?? String(err) } satisfies FromWorker);
    }
  });
});
