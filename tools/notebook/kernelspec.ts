// Kernel specs (jupyter_client's kernelspec.py): where Jupyter looks for
// kernels/<name>/kernel.json, reading one, and writing tslab's without Python.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeFileAtomic } from "../../lib/utils/fs";

/** How the kernel is interrupted: a SIGINT to its process group, or an interrupt_request on control. */
export type InterruptMode = "signal" | "message";

/** A kernel.json, with the folder it was found in. */
export interface KernelSpec {
  name: string;
  /** The command; `{connection_file}` is replaced by the connection file's path. */
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: InterruptMode;
  env: Record<string, string>;
  metadata: Record<string, unknown>;
  /** The folder holding kernel.json (`{resource_dir}` in argv). */
  resourceDir: string;
}

/**
 * The folders Jupyter searches for data (kernels/ lives in each), in order:
 * $JUPYTER_PATH entries, the user's data dir, then the system prefixes.
 *
 * @example jupyterDataPath({ JUPYTER_PATH: ".jupyter/share/jupyter" })[0]; // ".jupyter/share/jupyter"
 */
export function jupyterDataPath(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = (env.JUPYTER_PATH ?? "").split(path.delimiter).filter(Boolean);
  dirs.push(env.JUPYTER_DATA_DIR || path.join(env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share"), "jupyter"));
  dirs.push("/usr/local/share/jupyter", "/usr/share/jupyter");
  return [...new Set(dirs)];
}

/**
 * The kernel names found on the data path, each with its folder (first one wins, as in Jupyter).
 *
 * @example [...findKernelSpecs().keys()]; // ["tslab", "jslab", "python3"]
 */
export function findKernelSpecs(env: NodeJS.ProcessEnv = process.env): Map<string, string> {
  const found = new Map<string, string>();
  for (const dir of jupyterDataPath(env)) {
    const kernels = path.join(dir, "kernels");
    if (!fs.existsSync(kernels)) continue;
    for (const name of fs.readdirSync(kernels)) {
      const spec = path.join(kernels, name);
      if (!found.has(name) && fs.existsSync(path.join(spec, "kernel.json"))) found.set(name, spec);
    }
  }
  return found;
}

/**
 * Reads a kernel spec by name from the data path (or from a folder), as
 * jupyter_client's `KernelSpecManager.get_kernel_spec`. The error names the
 * folders searched and what to do.
 *
 * @example const spec = getKernelSpec("tslab", { JUPYTER_PATH: ".jupyter/share/jupyter" });
 */
export function getKernelSpec(name: string, env: NodeJS.ProcessEnv = process.env): KernelSpec {
  const dir = findKernelSpecs(env).get(name);
  if (!dir) throw new Error(`No kernel spec named "${name}" in ${jupyterDataPath(env).map((d) => path.join(d, "kernels")).join(", ")} (run npm run setup:notebooks to register tslab)`);
  return readKernelSpec(dir, name);
}

/**
 * Reads and validates `<dir>/kernel.json`.
 *
 * @example readKernelSpec(".jupyter/share/jupyter/kernels/tslab").argv[0];
 */
export function readKernelSpec(dir: string, name = path.basename(dir)): KernelSpec {
  const file = path.join(dir, "kernel.json");
  let raw: Record<string, any>;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`Kernel spec ${file} is unreadable: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw.argv) || raw.argv.length === 0 || !raw.argv.every((a: unknown) => typeof a === "string")) throw new Error(`Kernel spec ${file}: "argv" must be a non-empty list of strings`);
  const mode = raw.interrupt_mode ?? "signal";
  if (mode !== "signal" && mode !== "message") throw new Error(`Kernel spec ${file}: interrupt_mode "${mode}" is not "signal" or "message"`);
  return {
    name,
    argv: raw.argv,
    display_name: String(raw.display_name ?? name),
    language: String(raw.language ?? ""),
    interrupt_mode: mode,
    env: raw.env ?? {},
    metadata: raw.metadata ?? {},
    resourceDir: dir,
  };
}

/**
 * The kernel.json that `tslab install --binary=<bin>` writes (its
 * python/install.py): argv `[bin, "kernel", "--config-path",
 * "{connection_file}"]`, keys sorted, Python's json.dump spacing.
 *
 * @example tslabKernelJson("/repo/node_modules/.bin/tslab");
 */
export function tslabKernelJson(binary: string, js = false): string {
  const argv = [binary, "kernel", "--config-path", "{connection_file}", ...(js ? ["--js"] : [])];
  // Python's json.dump(sort_keys=True) separators: ", " and ": ".
  return `{"argv": [${argv.map((a) => JSON.stringify(a)).join(", ")}], "display_name": ${JSON.stringify(js ? "JavaScript" : "TypeScript")}, "language": ${JSON.stringify(js ? "javascript" : "typescript")}}`;
}

/**
 * Registers tslab's two kernels (tslab, jslab) under
 * `<prefix>/share/jupyter/kernels/`, as `tslab install --prefix` does, without
 * Python. Rewrites only what changed; returns the tslab spec folder.
 *
 * @example installTslabKernelSpec(".jupyter", "/repo/node_modules/.bin/tslab");
 */
export function installTslabKernelSpec(prefix: string, binary: string): string {
  for (const js of [false, true]) {
    const dir = path.join(prefix, "share", "jupyter", "kernels", js ? "jslab" : "tslab");
    const file = path.join(dir, "kernel.json");
    const text = tslabKernelJson(binary, js);
    if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) {
      writeFileAtomic(file, text);
      fs.chmodSync(file, 0o644);
      fs.chmodSync(dir, 0o755);
    }
  }
  return path.join(prefix, "share", "jupyter", "kernels", "tslab");
}
