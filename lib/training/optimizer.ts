import * as tf from "@tensorflow/tfjs-core";

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  /** Parameters that get no weight decay (HF: biases and LayerNorm weights). */
  noDecay?: (name: string) => boolean;
}

/**
 * HF Trainer's rule: no decay for biases and LayerNorm weights.
 *
 * @example
 * hfNoDecay("bert.encoder.layer.0.output.LayerNorm.weight"); // true
 * hfNoDecay("classifier.weight"); // false
 */
export const hfNoDecay = (name: string) => name.endsWith(".bias") || /LayerNorm|layer_norm/.test(name);

/**
 * AdamW (decoupled weight decay, bias-corrected moments), as
 * `torch.optim.AdamW`. The learning rate is passed per step so a schedule
 * stays outside. Its state saves and loads for exact resumption.
 *
 * @example
 * const optimizer = new AdamW(model.params, { weightDecay: 0.01 });
 * optimizer.applyGradients(grads, schedule(optimizer.step)); // grads: Map<parameter name, tf.Tensor>
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private readonly noDecay: (name: string) => boolean;
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(private readonly params: Map<string, tf.Variable>, options: AdamWOptions = {}) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.noDecay = options.noDecay ?? hfNoDecay;
  }

  private slot(map: Map<string, tf.Variable>, name: string, like: tf.Variable): tf.Variable {
    let s = map.get(name);
    if (!s) map.set(name, (s = tf.variable(tf.zerosLike(like), false)));
    return s;
  }

  /** One update with gradients keyed by parameter name. */
  applyGradients(grads: Map<string, tf.Tensor>, lr: number): void {
    this.step++;
    const bc1 = 1 - this.beta1 ** this.step;
    const bc2 = 1 - this.beta2 ** this.step;
    tf.tidy(() => {
      for (const [name, g] of grads) {
        const p = this.params.get(name);
        if (!p) throw new Error(`AdamW: gradient for unknown parameter "${name}"`);
        const m = this.slot(this.m, name, p);
        const v = this.slot(this.v, name, p);
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), this.epsilon));
        const decayed = this.weightDecay > 0 && !this.noDecay(name) ? tf.mul(p, 1 - lr * this.weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
      }
    });
  }

  /** Moments as float32 arrays keyed `m/<name>` and `v/<name>`, plus the step. */
  stateDict(): { step: number; tensors: Map<string, { shape: number[]; data: Float32Array }> } {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [prefix, map] of [["m", this.m], ["v", this.v]] as const) {
      for (const [name, t] of map) tensors.set(`${prefix}/${name}`, { shape: [...t.shape], data: t.dataSync() as Float32Array });
    }
    return { step: this.step, tensors };
  }

  /** Throws, naming the entry, when a state dict does not fit these parameters; changes nothing. */
  validateStateDict(state: { step: number; tensors: Map<string, { shape: number[]; data: Float32Array }> }, source = "optimizer state"): void {
    if (!(Number.isInteger(state.step) && state.step >= 0)) throw new Error(`AdamW: ${source} has step ${state.step}, expected an integer >= 0`);
    for (const [key, t] of state.tensors) {
      const [prefix, ...rest] = key.split("/");
      const p = this.params.get(rest.join("/"));
      if (!p || (prefix !== "m" && prefix !== "v")) throw new Error(`AdamW: ${source} has unknown entry "${key}"`);
      if (t.shape.join() !== p.shape.join() || t.data.length !== p.size) throw new Error(`AdamW: ${source} entry "${key}" has shape [${t.shape}], the parameter has [${p.shape}]`);
    }
  }

  /** Restores moments and step; validates everything first, so a bad state changes nothing. */
  loadStateDict(state: { step: number; tensors: Map<string, { shape: number[]; data: Float32Array }> }, source?: string): void {
    this.validateStateDict(state, source);
    this.step = state.step;
    for (const [key, t] of state.tensors) {
      const [prefix, ...rest] = key.split("/");
      const name = rest.join("/");
      const slot = this.slot(prefix === "m" ? this.m : this.v, name, this.params.get(name)!);
      tf.tidy(() => slot.assign(tf.tensor(t.data, t.shape)));
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/**
 * Linear warmup from 0 to `lr`, then linear decay to 0 (HF's get_linear_schedule_with_warmup).
 *
 * @example
 * const schedule = linearScheduleWithWarmup(5e-5, 100, 1000);
 * schedule(50); // 2.5e-5 (warming up)
 * schedule(550); // 2.5e-5 (decaying to 0 at step 1000)
 */
export function linearScheduleWithWarmup(lr: number, warmupSteps: number, totalSteps: number): (step: number) => number {
  return (step) => {
    if (step < warmupSteps) return (lr * step) / Math.max(1, warmupSteps);
    return lr * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  };
}

/**
 * Scales gradients in place so their global L2 norm is at most maxNorm (torch's clip_grad_norm_).
 *
 * @example
 * const grads = new Map([["w", tf.tensor1d([3, 4])]]);
 * clipByGlobalNorm(grads, 1); // 5 (the norm before clipping); grads.get("w") is now [0.6, 0.8]
 */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): number {
  const normT = tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))));
  const norm = normT.dataSync()[0];
  normT.dispose();
  if (norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (const [k, g] of grads) {
      grads.set(k, tf.mul(g, scale));
      g.dispose();
    }
  }
  return norm;
}
