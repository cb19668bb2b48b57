import * as tf from "@tensorflow/tfjs-core";
// tfjs-core alone registers no gradients; the union package's CommonJS
// bundle registers them all (tfjs-core's own register_all_gradients is
// bundler-only ESM that plain Node cannot load).
import "@tensorflow/tfjs";
import { logger } from "./utils/log";
import { installNativeKernels, shareIdentityOnWasm } from "./native";

export type BackendName = "tensorflow" | "wasm" | "cpu";

let chosen: Promise<BackendName> | undefined;

function tryTfjsNode(): boolean {
  try {
    // Installs only where libtensorflow could be downloaded; elsewhere it is
    // present-but-broken or absent, and we fall back to wasm.
    require("@tensorflow/tfjs-node");
    return tf.findBackend("tensorflow") !== null;
  } catch {
    return false;
  }
}

/**
 * Picks the fastest TensorFlow.js backend present: `tensorflow` (tfjs-node)
 * where installed, else `wasm` (SIMD, one thread under Node). `cpu` is used
 * only when asked for (WORKBOOK_BACKEND=cpu): it is ~20x slower to train.
 * Safe to call many times; the first call decides.
 *
 * @example
 * await initBackend(); // prints "TensorFlow.js backend: wasm"
 */
export function initBackend(options: { preferred?: BackendName; quiet?: boolean } = {}): Promise<BackendName> {
  chosen ??= (async () => {
    const preferred = options.preferred ?? (process.env.WORKBOOK_BACKEND as BackendName | undefined);
    if (preferred && !["tensorflow", "wasm", "cpu"].includes(preferred)) {
      throw new Error(`initBackend: unknown backend "${preferred}" (use tensorflow, wasm or cpu)`);
    }
    let name: BackendName;
    if ((preferred === undefined || preferred === "tensorflow") && tryTfjsNode()) name = "tensorflow";
    else if (preferred === "tensorflow") throw new Error("initBackend: @tensorflow/tfjs-node is not installed or failed to load");
    else if (preferred === "cpu") {
      await import("@tensorflow/tfjs-backend-cpu");
      name = "cpu";
    } else {
      await import("@tensorflow/tfjs-backend-wasm");
      name = "wasm";
    }
    // The wasm module installs process handlers that rethrow every uncaught
    // error from inside its minified source (printing a 100 kB line); drop them
    // so errors surface as ordinary Node errors.
    const before = new Set([...process.listeners("uncaughtException"), ...process.listeners("unhandledRejection")]);
    if (!(await tf.setBackend(name))) throw new Error(`initBackend: the ${name} backend failed to initialise`);
    await tf.ready();
    for (const ev of ["uncaughtException", "unhandledRejection"] as const) {
      for (const l of process.listeners(ev)) if (!before.has(l)) process.removeListener(ev, l as (...args: any[]) => void);
    }
    if (name === "wasm") shareIdentityOnWasm();
    const native = name === "wasm" ? installNativeKernels() : undefined;
    if (!options.quiet && !process.env.WORKBOOK_QUIET_BACKEND) logger.info(`TensorFlow.js backend: ${name}${native ? ` + ${native}` : ""}`);
    return name;
  })();
  return chosen;
}
