// Native BLAS kernels for the wasm backend. TensorFlow.js on wasm runs matrix
// products at ~25 GFLOP/s (128-bit SIMD, one thread); OpenBLAS on the same
// core runs several times faster. Where native/build/workbook_native.node was
// built (npm install does it when gcc and libopenblas-dev are present), the
// wasm backend's BatchMatMul and _FusedMatMul kernels are replaced by ones
// that call sgemm directly on the wasm heap (no copies); everything else
// stays on wasm. WORKBOOK_NATIVE=0 turns this off.
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";

interface NativeAddon {
  sgemm(a: Float32Array, b: Float32Array, c: Float32Array, batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean, strideA: number, strideB: number, bias?: Float32Array | null, accumulate?: boolean): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  blasConfig(): string;
  columnSum(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  gatherRows(table: Float32Array, ids: Int32Array, out: Float32Array, rows: number, cols: number): void;
  gelu(x: Float32Array, y: Float32Array): void;
  geluGrad(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  layerNorm(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, xhat: Float32Array, rstd: Float32Array, rows: number, cols: number, eps: number): void;
  layerNormGrad(dy: Float32Array, xhat: Float32Array, rstd: Float32Array, gamma: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, rows: number, cols: number): void;
}

/** Where the build puts the addon (native/build.js). */
export const NATIVE_ADDON_PATH = path.resolve(__dirname, "..", "..", "native", "build", "workbook_native.node");

let addon: NativeAddon | null | undefined;

/** The loaded addon, or null when it was not built or is turned off (WORKBOOK_NATIVE=0). */
export function nativeAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (process.env.WORKBOOK_NATIVE === "0" || !fs.existsSync(NATIVE_ADDON_PATH)) return addon;
  try {
    addon = require(NATIVE_ADDON_PATH) as NativeAddon;
    const threads = Number(process.env.WORKBOOK_BLAS_THREADS ?? 1);
    if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`WORKBOOK_BLAS_THREADS must be an integer >= 1, got "${process.env.WORKBOOK_BLAS_THREADS}"`);
    addon.setNumThreads(threads);
  } catch (err) {
    addon = null;
    if (/WORKBOOK_BLAS_THREADS/.test((err as Error).message)) throw err;
  }
  return addon;
}

// The wasm backend's internals the kernels use (public methods of BackendWasm).
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array;
}

type KernelArgs = { inputs: Record<string, tf.TensorInfo | undefined>; backend: WasmBackend; attrs: Record<string, unknown> };

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * op(A) @ op(B) over the last two axes with equal (or one-sided, size-1) batch
 * axes; undefined when the shapes need more than that (the wasm kernel runs).
 */
function nativeMatMul(native: NativeAddon, backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, transB: boolean, bias?: tf.TensorInfo): tf.TensorInfo | undefined {
  if (a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transA} and transposeB=${transB} must match.`);
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = size(outerA);
  const batchB = size(outerB);
  let outer: number[];
  if (batchA === batchB && (outerA.length === outerB.length || batchA === 1)) outer = outerA.length >= outerB.length ? outerA : outerB;
  else if (batchB === 1) outer = outerA;
  else if (batchA === 1) outer = outerB;
  else return undefined;
  if (outerA.length && outerB.length && batchA === batchB && outerA.join() !== outerB.join()) return undefined;
  if (bias && (bias.dtype !== "float32" || size(bias.shape) !== n)) return undefined;
  const batch = Math.max(batchA, batchB);
  const out = backend.makeOutput([...outer, m, n], "float32");
  if (m * n * batch === 0) return out;
  // Views after makeOutput: an allocation can grow (and move) the wasm heap.
  native.sgemm(
    backend.typedArrayFromHeap(a) as Float32Array,
    backend.typedArrayFromHeap(b) as Float32Array,
    backend.typedArrayFromHeap(out) as Float32Array,
    batch, m, n, k, transA, transB,
    batchA === 1 ? 0 : m * k,
    batchB === 1 ? 0 : k * n,
    bias ? (backend.typedArrayFromHeap(bias) as Float32Array) : null,
    false,
  );
  return out;
}

/** Fused element-wise kernels, registered for the wasm backend under these names. */
export const NATIVE_KERNELS = {
  columnSum: "WorkbookColumnSum",
  gatherRows: "WorkbookGatherRows",
  gelu: "WorkbookGelu",
  geluGrad: "WorkbookGeluGrad",
  layerNorm: "WorkbookLayerNorm",
  layerNormGrad: "WorkbookLayerNormGrad",
} as const;

function registerFusedKernels(native: NativeAddon): void {
  const reg = (kernelName: string, f: (inputs: Record<string, tf.TensorInfo>, backend: WasmBackend, attrs: Record<string, unknown>) => tf.TensorInfo | tf.TensorInfo[]) => {
    if (tf.getKernel(kernelName, "wasm")) tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: ((args: KernelArgs) => f(args.inputs as Record<string, tf.TensorInfo>, args.backend, args.attrs)) as unknown as tf.KernelFunc });
  };
  const view = (b: WasmBackend, t: tf.TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
  reg(NATIVE_KERNELS.columnSum, ({ x }, b) => {
    const cols = x.shape[x.shape.length - 1];
    const out = b.makeOutput([cols], "float32");
    native.columnSum(view(b, x), view(b, out), size(x.shape) / cols, cols);
    return out;
  });
  reg(NATIVE_KERNELS.gatherRows, ({ table, ids }, b) => {
    const [rows, cols] = table.shape;
    const out = b.makeOutput([...ids.shape, cols], "float32");
    native.gatherRows(view(b, table), b.typedArrayFromHeap(ids) as Int32Array, view(b, out), rows, cols);
    return out;
  });
  reg(NATIVE_KERNELS.gelu, ({ x }, b) => {
    const out = b.makeOutput([...x.shape], "float32");
    native.gelu(view(b, x), view(b, out));
    return out;
  });
  reg(NATIVE_KERNELS.geluGrad, ({ x, dy }, b) => {
    const out = b.makeOutput([...x.shape], "float32");
    native.geluGrad(view(b, x), view(b, dy), view(b, out));
    return out;
  });
  reg(NATIVE_KERNELS.layerNorm, ({ x, gamma, beta }, b, attrs) => {
    const cols = x.shape[x.shape.length - 1];
    const rows = size(x.shape) / cols;
    const y = b.makeOutput([...x.shape], "float32");
    const xhat = b.makeOutput([...x.shape], "float32");
    const rstd = b.makeOutput([rows, 1], "float32");
    native.layerNorm(view(b, x), view(b, gamma), view(b, beta), view(b, y), view(b, xhat), view(b, rstd), rows, cols, attrs.eps as number);
    return [y, xhat, rstd];
  });
  reg(NATIVE_KERNELS.layerNormGrad, ({ dy, xhat, rstd, gamma }, b) => {
    const cols = dy.shape[dy.shape.length - 1];
    const rows = size(dy.shape) / cols;
    const dx = b.makeOutput([...dy.shape], "float32");
    const dgamma = b.makeOutput([cols], "float32");
    const dbeta = b.makeOutput([cols], "float32");
    native.layerNormGrad(view(b, dy), view(b, xhat), view(b, rstd), view(b, gamma), view(b, dx), view(b, dgamma), view(b, dbeta), rows, cols);
    return [dx, dgamma, dbeta];
  });
}

let identityShared = false;

/**
 * tfjs clones every tensor a gradient saves (engine.saveTensorsForBackwardMode),
 * and the wasm backend's Identity kernel copies the data where the cpu
 * backend shares it by reference count. Tensors are immutable and the wasm
 * backend counts references (its Reshape shares data the same way), so
 * Identity can share too: the same numbers, one copy less per saved tensor.
 */
export function shareIdentityOnWasm(): void {
  if (identityShared || tf.getBackend() !== "wasm") return;
  const original = tf.getKernel("Identity", "wasm");
  if (!original) return;
  const fallback = original.kernelFunc as unknown as (args: KernelArgs) => tf.TensorInfo;
  const kernelFunc = (args: KernelArgs): tf.TensorInfo => {
    const x = args.inputs.x!;
    if (x.dtype === "string") return fallback(args);
    (args.backend as unknown as { incRef(id: tf.DataId): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel({ ...original, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  identityShared = true;
}

let installed: string | undefined;

/**
 * Replaces the wasm backend's matrix-product kernels with the native ones
 * when the addon is available. Returns a description, or undefined when the
 * wasm kernels stay. Call after the wasm backend is initialised.
 */
export function installNativeKernels(): string | undefined {
  if (installed) return installed;
  const native = nativeAddon();
  if (!native || tf.getBackend() !== "wasm") return undefined;
  for (const name of ["BatchMatMul", "_FusedMatMul"]) {
    const original = tf.getKernel(name, "wasm");
    if (!original) return undefined;
    const fallback = original.kernelFunc as unknown as (args: KernelArgs) => tf.TensorInfo;
    const kernelFunc = (args: KernelArgs): tf.TensorInfo => {
      const { a, b, bias, preluActivationWeights } = args.inputs;
      const { transposeA = false, transposeB = false, activation } = args.attrs as { transposeA?: boolean; transposeB?: boolean; activation?: string };
      const plain = name === "BatchMatMul" || ((activation === undefined || activation === "linear") && !preluActivationWeights);
      const out = plain ? nativeMatMul(native, args.backend, a!, b!, transposeA, transposeB, name === "_FusedMatMul" ? bias : undefined) : undefined;
      return out ?? fallback(args);
    };
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({ ...original, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  registerFusedKernels(native);
  installed = `native kernels: BLAS matmul (${native.blasConfig().split(" ").slice(0, 2).join(" ")}, ${native.getNumThreads()} thread${native.getNumThreads() > 1 ? "s" : ""}), fused GELU, LayerNorm, embedding lookups, bias gradients`;
  return installed;
}

/** Whether the native kernels are in use (matMul with transposes is then as fast as without). */
export function nativeKernelsActive(): boolean {
  return installed !== undefined;
}
