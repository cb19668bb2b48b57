// Starts the JupyterLab frontend of .jupyterlab-app/ on Debian's
// jupyter_server + jupyterlab_server (tools/jupyterlab/serve.py), for the
// browser check (checkLab.ts) and for npm run lab where no jupyter-lab is
// installed. The Python side is found and versioned without starting a
// server, so a machine without it hears what to install at once.
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { waitForServer } from "../notebook/checkBrowser";
import { freePorts } from "../notebook/kernelManager";

/** The LabServerApp script that serves the built frontend. */
export const LAB_SERVE_SCRIPT = path.join(__dirname, "serve.py");
/** What to install where the Python side is missing (Debian bookworm's versions fit JupyterLab 3.6's frontend). */
export const LAB_SERVER_HINT = "JupyterLab's server packages are not installed: sudo apt-get install python3-jupyter-server python3-jupyterlab-server";

/** WORKBOOK_LAB_PYTHON if set, else Debian's Python (where apt installs jupyter_server), else python3 on PATH. */
export function labPython(env: NodeJS.ProcessEnv = process.env): string {
  return env.WORKBOOK_LAB_PYTHON || (fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
}

export interface LabServerVersions {
  python: string;
  jupyterServer: string;
  jupyterlabServer: string;
}

let cachedVersions: LabServerVersions | string | undefined;

/**
 * The versions of jupyter_server and jupyterlab_server that serve.py would
 * use, or the reason (one line) why it cannot run: a package missing, or a
 * major version this frontend was not built for (jupyterlab_server 2.x;
 * jupyter_server 1.x or 2.x).
 *
 * @example const v = labServerVersions(); if (typeof v === "string") console.error(v);
 */
export function labServerVersions(): LabServerVersions | string {
  if (cachedVersions !== undefined) return cachedVersions;
  const python = labPython();
  const r = spawnSync(python, ["-c", "import jupyter_server, jupyterlab_server; print(jupyter_server.__version__, jupyterlab_server.__version__)"], { encoding: "utf8", timeout: 60_000 });
  if (r.error || r.status !== 0) {
    cachedVersions = r.error ? `${python} could not run (${r.error.message}); ${LAB_SERVER_HINT}` : LAB_SERVER_HINT;
    return cachedVersions;
  }
  const [jupyterServer, jupyterlabServer] = r.stdout.trim().split(/\s+/);
  const major = (v: string) => Number(v.split(".")[0]);
  if (major(jupyterlabServer) !== 2) cachedVersions = `jupyterlab_server ${jupyterlabServer} is installed; the JupyterLab 3.6 frontend needs 2.x (Debian bookworm's python3-jupyterlab-server is 2.16)`;
  else if (![1, 2].includes(major(jupyterServer))) cachedVersions = `jupyter_server ${jupyterServer} is installed; the JupyterLab 3.6 frontend needs 1.x or 2.x (Debian bookworm's python3-jupyter-server is 1.23)`;
  else cachedVersions = { python, jupyterServer, jupyterlabServer };
  return cachedVersions;
}

export interface LabServer {
  /** http://127.0.0.1:PORT */
  base: string;
  token: string;
  process: ChildProcess;
  /** The last lines the server wrote (its log), for error messages. */
  log(): string;
  /** The address of a path under /lab (e.g. "tree/01_baseline.ipynb"), with the token. */
  labUrl(sub?: string): string;
  /** Shuts down every kernel through the server, then the server; idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts serve.py on a free local port with token auth, serving `root`.
 * `env` is the whole environment (JUPYTER_PATH with the kernel, scratch
 * Jupyter folders...). Rejects, with the server's last log lines, when it does
 * not come up in `timeoutMs`.
 *
 * @example const server = await startLabServer({ root: "outputs/x", appDir: ".jupyterlab-app", env }); try { … } finally { await server.stop(); }
 */
export async function startLabServer(options: { root: string; appDir: string; env: NodeJS.ProcessEnv; timeoutMs?: number; extraArgs?: string[]; stdio?: "pipe" | "inherit"; port?: number; token?: string }): Promise<LabServer> {
  const versions = labServerVersions();
  if (typeof versions === "string") throw new Error(versions);
  const port = options.port ?? (await freePorts(1))[0];
  const token = options.token ?? randomUUID().replaceAll("-", "");
  const args = [LAB_SERVE_SCRIPT, `--ServerApp.root_dir=${path.resolve(options.root)}`, "--ServerApp.ip=127.0.0.1", `--ServerApp.port=${port}`, "--ServerApp.port_retries=0", `--ServerApp.token=${token}`, "--ServerApp.password=", "--ServerApp.open_browser=False", ...(process.getuid?.() === 0 ? ["--ServerApp.allow_root=True"] : []), ...(options.extraArgs ?? [])];
  const child = spawn(versions.python, args, {
    env: { ...options.env, WORKBOOK_LAB_APP_DIR: path.resolve(options.appDir), PYDEVD_DISABLE_FILE_VALIDATION: "1" },
    stdio: options.stdio === "inherit" ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const keep = (d: Buffer) => (log = (log + d).slice(-8000));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const base = `http://127.0.0.1:${port}`;
  let stopped = false;
  const server: LabServer = {
    base,
    token,
    process: child,
    log: () => log,
    labUrl: (sub = "") => `${base}/lab${sub ? `/${sub}` : ""}?token=${token}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        const kernels = (await (await fetch(`${base}/api/kernels?token=${token}`, { signal: AbortSignal.timeout(5000) })).json()) as { id: string }[];
        await Promise.all(kernels.map((k) => fetch(`${base}/api/kernels/${k.id}?token=${token}`, { method: "DELETE", signal: AbortSignal.timeout(15_000) }).catch(() => undefined)));
      } catch {
        /* server already gone */
      }
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await Promise.race([new Promise((r) => child.once("exit", r)), new Promise((r) => setTimeout(r, 15_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
    },
  };
  try {
    await waitForServer(`${base}/api?token=${token}`, child, options.timeoutMs ?? 90_000, "the JupyterLab server (tools/jupyterlab/serve.py)");
  } catch (err) {
    await server.stop();
    throw new Error(`${(err as Error).message}\n${log.split("\n").slice(-15).join("\n")}`);
  }
  return server;
}
