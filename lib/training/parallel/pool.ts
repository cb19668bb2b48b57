import * as path from "node:path";
import { Worker } from "node:worker_threads";
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

  /** Starts `n` workers with a copy of the model's current weights. */
  static async start(n: number, model: PreTrainedModel, collator: CollatorOptions, loss: LossSpec): Promise<GradientWorkerPool> {
    // From TypeScript sources, bootstrap.js registers tsx before loading worker.ts;
    // from the compiled dist/ the worker is plain JavaScript.
    const file = path.join(__dirname, __filename.endsWith(".ts") ? "bootstrap.js" : "worker.js");
    const workers = Array.from({ length: n }, () => new Worker(file, { env: { ...process.env, WORKBOOK_QUIET_BACKEND: "1" } }));
    const pool = new GradientWorkerPool(workers);
    const weights = GradientWorkerPool.weightsOf(model);
    const module = lossModule(loss);
    await Promise.all(workers.map((_, i) => pool.send(i, { type: "init", config: model.config, weights, collator, loss, lossModule: module }, true)));
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  private static weightsOf(model: PreTrainedModel): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const [name, v] of model.params) out[name] = v.dataSync() as Float32Array;
    return out;
  }

  private send(i: number, msg: ToWorker, expectReply: boolean): Promise<FromWorker> | undefined {
    const p = expectReply ? new Promise<FromWorker>((resolve, reject) => this.pending[i].push({ resolve, reject })) : undefined;
    this.workers[i].postMessage(msg);
    return p;
  }

  /** Loss and gradients of one shard on worker i. */
  async gradients(i: number, rows: EncodedRow[], seed: number, targets?: RowTargets): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
    const m = await this.send(i, { type: "grads", rows, seed, targets }, true)!;
    if (m.type !== "grads") throw new Error(`Data-parallel worker ${i}: unexpected reply ${m.type}`);
    return m;
  }

  /** Sends the model's current weights to every worker (after an optimizer step). */
  syncWeights(model: PreTrainedModel): void {
    const weights = GradientWorkerPool.weightsOf(model);
    for (let i = 0; i < this.workers.length; i++) this.send(i, { type: "weights", weights }, false);
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
