import * as path from "node:path";
import { Worker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs-core";
import { PreTrainedModel } from "../../models/modeling";
import { CollatorOptions, EncodedRow } from "../data";
import type { LossSpec, RowTargets } from "../losses";
import { lossModule } from "../losses";
import type { FromWorker, ToWorker } from "./protocol";

type Pending = { resolve: (m: FromWorker) => void; reject: (e: Error) => void };

/**
 * Worker threads that each hold a model replica and compute gradients of
 * batch shards, so training uses every core: the wasm backend runs one
 * thread per process, and two side by side nearly double throughput.
 *
 * @example
 * const pool = await GradientWorkerPool.start(1, model, trainer.collator.options, { kind: "ce" });
 * const { loss, grads } = await pool.gradients(0, shard, seed); // grads: Record<parameter name, Float32Array>
 * pool.syncWeights(model); // after the optimizer step; await pool.terminate() when done
 */
export class GradientWorkerPool {
  private readonly pending: Pending[][];

  private constructor(private readonly workers: Worker[]) {
    this.pending = workers.map(() => []);
    workers.forEach((w, i) => {
      w.on("message", (m: FromWorker) => {
        const p = this.pending[i].shift();
        if (!p) return;
        if (m.type === "error") p.reject(new Error(`Data-parallel worker ${i} failed: ${m.message}`));
        else p.resolve(m);
      });
      w.on("error", (err) => this.pending[i].splice(0).forEach((p) => p.reject(err as Error)));
      w.on("exit", (code) => this.pending[i].splice(0).forEach((p) => p.reject(new Error(`Data-parallel worker ${i} exited with code ${code}`))));
    });
  }

  /** Starts `n` workers with a copy of the model's current (transformed) weights. */
  static async start(n: number, model: PreTrainedModel, collator: CollatorOptions, loss: LossSpec): Promise<GradientWorkerPool> {
    // From TypeScript sources, bootstrap.js registers tsx before loading worker.ts;
    // from the compiled dist/ the worker is plain JavaScript.
    const file = path.join(__dirname, __filename.endsWith(".ts") ? "bootstrap.js" : "worker.js");
    const workers = Array.from({ length: n }, () => new Worker(file, { env: { ...process.env, WORKBOOK_QUIET_BACKEND: "1" } }));
    const pool = new GradientWorkerPool(workers);
    // One shared buffer holds every parameter: a sync writes it and sends a one-word message, instead of
    // cloning the whole model into each worker's message queue after every step.
    const layout: Record<string, [offset: number, length: number]> = {};
    let size = 0;
    for (const [name, v] of model.params) {
      layout[name] = [size, v.size];
      size += v.size;
    }
    pool.shared = new Float32Array(new SharedArrayBuffer(size * 4));
    pool.layout = layout;
    pool.writeWeights(model);
    const module = lossModule(loss);
    await Promise.all(workers.map((_, i) => pool.send(i, { type: "init", config: model.config, shared: pool.shared!, layout, collator, loss, lossModule: module }, true)));
    return pool;
  }

  private shared?: Float32Array;
  private layout: Record<string, [number, number]> = {};

  get size(): number {
    return this.workers.length;
  }

  /** The weights the forward pass sees (after pruning masks, fake quantisation), into the shared buffer. */
  private writeWeights(model: PreTrainedModel): void {
    for (const [name, v] of model.params) {
      const [offset] = this.layout[name];
      const t = model.weightTransforms.get(name);
      if (!t) {
        this.shared!.set(v.dataSync() as Float32Array, offset);
        continue;
      }
      const w = tf.tidy(() => t(v, name));
      this.shared!.set(w.dataSync() as Float32Array, offset);
      w.dispose();
    }
  }

  private send(i: number, msg: ToWorker, expectReply: boolean): Promise<FromWorker> | undefined {
    const p = expectReply ? new Promise<FromWorker>((resolve, reject) => this.pending[i].push({ resolve, reject })) : undefined;
    this.workers[i].postMessage(msg);
    return p;
  }

  /** Loss and gradients of one shard on worker i (with respect to the weights it was sent). */
  async gradients(i: number, rows: EncodedRow[], seed: number, targets?: RowTargets): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
    const m = await this.send(i, { type: "grads", rows, seed, targets }, true)!;
    if (m.type !== "grads") throw new Error(`Data-parallel worker ${i}: unexpected reply ${m.type}`);
    return m;
  }

  /**
   * Sends the model's current weights to every worker (after an optimizer
   * step). Safe to overwrite the buffer here: a worker reads it when it
   * handles this message, before it answers the next gradient request, and
   * the next sync comes only after that answer.
   */
  syncWeights(model: PreTrainedModel): void {
    this.writeWeights(model);
    for (let i = 0; i < this.workers.length; i++) this.send(i, { type: "weights" }, false);
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
