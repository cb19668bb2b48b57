// Differentiable building blocks with hand-written gradients. On the wasm
// backend tfjs's own gradients are slow (matMul with transposeA/B is 10-18x
// slower than an explicit transpose) or missing (tf.gather's gradient needs
// UnsortedSegmentSum), so every op the encoder uses in training is here.
import * as tf from "@tensorflow/tfjs-core";
import { NATIVE_KERNELS, nativeKernelsActive } from "../native";

type T = tf.Tensor;

// With the native kernels (lib/native) a matMul with transposeA/B costs the same as without, and
// GELU, LayerNorm and bias gradients are single fused passes; without them, the wasm paths below.
const run = (name: string, inputs: Record<string, T>, attrs: Record<string, unknown> = {}) =>
  tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as T | T[];

/** a @ b^T and a^T @ b for gradients: transpose flags on native kernels, explicit transposes on wasm. */
function matMulBT(a: T, b: T): T {
  return nativeKernelsActive() ? tf.matMul(a, b, false, true) : tf.matMul(a, swapLastTwo(b));
}
function matMulAT(a: T, b: T): T {
  return nativeKernelsActive() ? tf.matMul(a, b, true, false) : tf.matMul(swapLastTwo(a), b);
}
function columnSum(x: T): T {
  return nativeKernelsActive() ? (run(NATIVE_KERNELS.columnSum, { x }) as T) : tf.sum(x, 0);
}

function swapLastTwo(x: T): T {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(x, perm);
}

const matMulCG = tf.customGrad((a: any, b: any, save: any) => {
  save([a, b]);
  return {
    value: tf.matMul(a as T, b as T),
    gradFunc: (dy: T, [sa, sb]: T[]) => [matMulBT(dy, sb), matMulAT(sa, dy)],
  };
});

/**
 * `a @ b` over the last two axes (leading axes are batch axes of equal size),
 * with a gradient that uses explicit transposes.
 */
export function matMul(a: T, b: T): T {
  if (a.rank < 2 || a.rank !== b.rank || a.shape[a.rank - 1] !== b.shape[b.rank - 2]) {
    throw new Error(`matMul: incompatible shapes [${a.shape}] and [${b.shape}]`);
  }
  return matMulCG(a, b) as T;
}

const linearCG = tf.customGrad((x: any, w: any, b: any, save: any) => {
  save([x, w]);
  return {
    value: tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: b as T }),
    gradFunc: (dy: T, [sx, sw]: T[]) => [matMulBT(dy, sw), matMulAT(sx, dy), columnSum(dy)],
  };
});

/**
 * Dense layer `x @ w + b` on the last axis. `w` is [in, out] (the transpose of
 * a PyTorch `nn.Linear.weight`, so inference needs no transpose).
 */
export function linear(x: T, w: T, b: T): T {
  const inDim = w.shape[0];
  if (x.shape[x.rank - 1] !== inDim) throw new Error(`linear: input width ${x.shape[x.rank - 1]} does not match weight [${w.shape}]`);
  const lead = x.shape.slice(0, -1);
  const y = linearCG(tf.reshape(x, [-1, inDim]), w, b) as T;
  return tf.reshape(y, [...lead, w.shape[1] as number]);
}

/** Embedding lookup `table[ids]`; the gradient is a dense scatter-add (scatterND sums duplicates). */
export function embedding(table: T, ids: T): T {
  if (ids.dtype !== "int32") throw new Error(`embedding: ids must be int32, got ${ids.dtype}`);
  const flat = tf.reshape(ids, [-1]);
  // The indices go through save(): tensors merely captured by the closure
  // may be gone by the time the gradient runs.
  const f = tf.customGrad((tbl: any, save: any) => {
    save([tf.reshape(flat, [-1, 1])]);
    const shape = (tbl as T).shape;
    return {
      value: nativeKernelsActive() && (tbl as T).rank === 2 ? (run(NATIVE_KERNELS.gatherRows, { table: tbl as T, ids: flat }) as T) : tf.gather(tbl as T, flat),
      gradFunc: (dy: T, [idx]: T[]) => tf.scatterND(idx, dy, shape),
    };
  });
  const out = f(table) as T;
  return tf.reshape(out, [...ids.shape, table.shape[1] as number]);
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

const geluCG = tf.customGrad((x: any, save: any) => {
  save([x]);
  if (nativeKernelsActive()) return { value: run(NATIVE_KERNELS.gelu, { x }) as T, gradFunc: (dy: T, [sx]: T[]) => run(NATIVE_KERNELS.geluGrad, { x: sx, dy }) as T };
  return {
    value: tf.mul(tf.mul(x as T, 0.5), tf.add(1, tf.erf(tf.mul(x as T, SQRT1_2)))),
    gradFunc: (dy: T, [sx]: T[]) => {
      const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(sx, SQRT1_2))));
      const pdf = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(tf.square(sx), -0.5)));
      return tf.mul(dy, tf.add(cdf, tf.mul(sx, pdf)));
    },
  };
});

/** Exact GELU, `x * Φ(x)` (Hugging Face "gelu"). */
export function gelu(x: T): T {
  return geluCG(x) as T;
}

/** Tanh-approximated GELU (Hugging Face "gelu_new" / "gelu_pytorch_tanh"). */
export function geluTanh(x: T): T {
  const c = Math.sqrt(2 / Math.PI);
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(c, tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))));
}

/** The activations a config's `hidden_act` / `activation` may name. */
export const ACTIVATIONS = {
  gelu,
  gelu_new: geluTanh,
  gelu_pytorch_tanh: geluTanh,
  relu: (x: T) => tf.relu(x),
  tanh: (x: T) => tf.tanh(x),
} as const;

export type ActivationName = keyof typeof ACTIVATIONS;

export function activation(name: string): (x: T) => T {
  const f = (ACTIVATIONS as Record<string, (x: T) => T>)[name];
  if (!f) throw new Error(`Unsupported activation "${name}" (supported: ${Object.keys(ACTIVATIONS).join(", ")})`);
  return f;
}

function layerNormCG(eps: number) {
  return tf.customGrad((x: any, gamma: any, beta: any, save: any) => {
    if (nativeKernelsActive()) {
      const [y, xhat, rstd] = run(NATIVE_KERNELS.layerNorm, { x, gamma, beta }, { eps }) as T[];
      save([xhat, rstd, gamma as T]);
      return {
        value: y,
        gradFunc: (dy: T, [sxhat, srstd, sgamma]: T[]) => run(NATIVE_KERNELS.layerNormGrad, { dy, xhat: sxhat, rstd: srstd, gamma: sgamma }) as T[],
      };
    }
    const mean = tf.mean(x as T, -1, true);
    const xc = tf.sub(x as T, mean);
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps));
    const xhat = tf.mul(xc, rstd);
    save([xhat, rstd, gamma as T]);
    return {
      value: tf.add(tf.mul(xhat, gamma as T), beta as T),
      gradFunc: (dy: T, [sxhat, srstd, sgamma]: T[]) => {
        const g = tf.mul(dy, sgamma);
        const dx = tf.mul(srstd, tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(sxhat, tf.mean(tf.mul(g, sxhat), -1, true))));
        return [dx, tf.sum(tf.mul(dy, sxhat), 0), tf.sum(dy, 0)];
      },
    };
  });
}

const layerNormCache = new Map<number, ReturnType<typeof layerNormCG>>();

/** LayerNorm over the last axis (biased variance, as PyTorch). */
export function layerNorm(x: T, gamma: T, beta: T, eps: number): T {
  const width = gamma.shape[0];
  if (x.shape[x.rank - 1] !== width) throw new Error(`layerNorm: input width ${x.shape[x.rank - 1]} does not match gamma [${gamma.shape}]`);
  let f = layerNormCache.get(eps);
  if (!f) layerNormCache.set(eps, (f = layerNormCG(eps)));
  const y = f(tf.reshape(x, [-1, width]), gamma, beta) as T;
  return tf.reshape(y, x.shape);
}

/** Inverted dropout; identity when rate is 0 or not training. */
export function dropout(x: T, rate: number, seed: number | undefined): T {
  if (rate <= 0 || seed === undefined) return x;
  return tf.dropout(x, rate, undefined, seed);
}

const stopGradientCG = tf.customGrad((x: any) => ({
  value: tf.clone(x as T),
  gradFunc: (dy: T) => tf.zerosLike(dy),
}));

/** Identity whose gradient is zero (PyTorch's detach / torch.no_grad for one tensor). */
export function stopGradient<R extends T>(x: R): R {
  return stopGradientCG(x) as R;
}
