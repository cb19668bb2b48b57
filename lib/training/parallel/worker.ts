// A data-parallel gradient worker: holds a replica of the model, rebuilds the
// Trainer's loss from its spec, computes the loss and gradients of the shards
// it is sent, and takes new weights after every optimizer step. Started by
// GradientWorkerPool.
import { parentPort } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../backend";
import { createModelFromConfig } from "../../models/auto";
import { PreTrainedModel } from "../../models/modeling";
import { DataCollator, createCollator } from "../data";
import { LossFunction, buildLoss } from "../losses";
import { lossAndGradients } from "../step";
import type { FromWorker, ToWorker } from "./protocol";

let model: PreTrainedModel | undefined;
let collator: DataCollator | undefined;
let loss: LossFunction | undefined;
let nameOf = new Map<string, string>();
let shared: Float32Array | undefined;
let layout: Record<string, [number, number]> = {};

/** Loads the weights the Trainer wrote into the shared buffer. */
function loadWeights(): void {
  for (const [name, [offset, length]] of Object.entries(layout)) {
    const v = model!.params.get(name);
    if (!v) throw new Error(`worker: unknown parameter ${name}`);
    tf.tidy(() => v.assign(tf.tensor(shared!.slice(offset, offset + length), v.shape))); // a copy: the cpu backend would keep a view
  }
}

async function handle(msg: ToWorker): Promise<FromWorker | undefined> {
  switch (msg.type) {
    case "init": {
      const backend = await initBackend({ quiet: true });
      require(msg.lossModule); // registers the loss kind in this thread
      loss = buildLoss(msg.loss);
      model = createModelFromConfig(msg.config);
      shared = msg.shared;
      layout = msg.layout;
      loadWeights();
      nameOf = new Map([...model.params].map(([n, v]) => [v.name, n]));
      collator = createCollator(msg.collator);
      return { type: "ready", backend };
    }
    case "weights":
      loadWeights();
      return undefined;
    case "grads": {
      const m = model!;
      const fn = loss!;
      const { loss: value, grads } = lossAndGradients({
        model: m,
        collator: collator!,
        rows: msg.rows,
        seed: msg.seed,
        targets: msg.targets,
        vars: m.trainableVariables(),
        nameOf,
        computeLoss: ({ inputs, targets, training, rng }) => {
          const outputs = m.call(inputs, { training, rng });
          return { loss: fn({ outputs, inputs, targets, training }), outputs };
        },
      });
      const out: Record<string, Float32Array> = {};
      for (const [name, g] of grads) out[name] = g.dataSync() as Float32Array;
      tf.dispose([...grads.values()]);
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
