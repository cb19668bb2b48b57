// Launching a kernel from its spec (jupyter_client's KernelManager and
// LocalProvisioner): a connection file with free local ports and a random
// key, the process in its own process group, interrupt, and shutdown that
// always ends with the process gone.
import { spawn, ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { logger } from "../../lib/utils/log";
import { onStop } from "./signals";
import type { KernelSpec } from "./kernelspec";
import type { KernelClient } from "./client";

/** A connection file's contents (jupyter_client's write_connection_file). */
export interface ConnectionInfo {
  transport: "tcp";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: "hmac-sha256";
  kernel_name: string;
}

/**
 * `n` distinct ports free on `ip` right now (the OS picks them; as jupyter_client, a small race remains).
 *
 * @example const [shell, iopub] = await freePorts(2);
 */
export async function freePorts(n: number, ip = "127.0.0.1"): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
      const s = net.createServer();
      s.once("error", reject);
      s.listen(0, ip, () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * Writes a connection file (mode 0600: it holds the key) with five free
 * ports on 127.0.0.1 and a random key.
 *
 * @example const { file, info } = await writeConnectionFile(fs.mkdtempSync("/tmp/k-"), "tslab");
 */
export async function writeConnectionFile(dir: string, kernelName: string, ip = "127.0.0.1"): Promise<{ file: string; info: ConnectionInfo }> {
  const [shell, iopub, stdin, control, hb] = await freePorts(5, ip);
  const info: ConnectionInfo = { transport: "tcp", ip, shell_port: shell, iopub_port: iopub, stdin_port: stdin, control_port: control, hb_port: hb, key: randomUUID(), signature_scheme: "hmac-sha256", kernel_name: kernelName };
  const file = path.join(dir, `kernel-${randomUUID()}.json`);
  fs.writeFileSync(file, JSON.stringify(info, null, 1), { mode: 0o600 });
  return { file, info };
}

/** How the kernel process ended. */
export interface KernelExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. "spawn tslab ENOENT"). */
  error?: string;
}

/** Options of {@link KernelManager}. */
export interface KernelManagerOptions {
  /** The kernel's working folder (a notebook's folder, so its imports resolve there). */
  cwd?: string;
  /** Extra environment on top of this process's and the spec's. */
  env?: NodeJS.ProcessEnv;
}

// Kernels alive in this process: killed (and their connection folders
// removed) if the process is stopped by a signal or exits.
const live = new Set<KernelManager>();
let disposeStop: (() => void) | undefined;
const onExit = () => {
  for (const km of live) km.killNow();
};
function track(km: KernelManager, alive: boolean): void {
  const before = live.size;
  if (alive) live.add(km);
  else live.delete(km);
  if (before === 0 && live.size === 1) {
    disposeStop = onStop(onExit);
    process.on("exit", onExit);
  } else if (before > 0 && live.size === 0) {
    disposeStop?.();
    process.off("exit", onExit);
  }
}

/**
 * The kernel's watchdog, run as `node -e WATCHDOG <runnerPid> <kernelPgid> <runtimeDir>`
 * in a session of its own: when the runner dies by any signal, SIGKILL
 * included (its end of the stdin pipe closes; a poll of its pid backs that
 * up), it SIGKILLs the kernel's process group and removes the connection
 * folder. It exits by itself once the kernel's group is gone, and at once on
 * "release\n" (a normal shutdown, after which the runner cleans up).
 */
export const WATCHDOG = String.raw`
const fs = require("fs");
const [runner, group, dir] = process.argv.slice(1);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === "EPERM"; } };
const reap = () => {
  try { process.kill(-Number(group), "SIGKILL"); } catch {}
  try { fs.rmSync(dir, { recursive: true, force: true }); } catch {}
  process.exit(0);
};
let said = "";
process.stdin.on("data", (b) => { said += b; if (said.includes("release\n")) process.exit(0); });
process.stdin.on("end", reap);
process.stdin.on("error", reap);
setInterval(() => { if (!alive(Number(runner))) reap(); else if (!alive(-Number(group))) process.exit(0); }, 500);
`;

/**
 * Starts and stops one kernel process from its spec, as jupyter_client's
 * `KernelManager`: argv with `{connection_file}` filled in, a process group
 * of its own (so Ctrl-C in the terminal reaches us, not the kernel, and
 * signals reach the kernel's children), interrupt by SIGINT or by
 * `interrupt_request`, and `shutdown()`: shutdown_request, then SIGTERM, then
 * SIGKILL. While it runs, SIGINT/SIGTERM/SIGHUP of this process kill it
 * first (tools/notebook/signals.ts), and a watchdog process kills it if this
 * process dies any other way (SIGKILL, a crash). Its connection folder is
 * removed on every one of these paths.
 *
 * @example
 * const km = new KernelManager(getKernelSpec("tslab"), { cwd: "notebooks" });
 * await km.start();
 * const kc = new KernelClient(km.connection!);
 * // …
 * await km.shutdown(kc);
 */
export class KernelManager {
  connection?: ConnectionInfo;
  connectionFile?: string;
  process?: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<KernelExit>;
  exit?: KernelExit;
  private resolveExit!: (e: KernelExit) => void;
  private runtimeDir?: string;
  private outputTail = "";
  private watchdog?: ChildProcess;

  constructor(readonly spec: KernelSpec, readonly options: KernelManagerOptions = {}) {
    const unknown = Object.keys(options).filter((k) => !["cwd", "env"].includes(k));
    if (unknown.length) throw new Error(`KernelManager: unknown option(s) ${unknown.join(", ")} (cwd, env)`);
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** True from start() until the process exits. */
  isAlive(): boolean {
    return this.process !== undefined && this.exit === undefined;
  }

  /** The last lines the kernel process printed outside any cell (for error messages). */
  get lastOutput(): string {
    return this.outputTail.trim();
  }

  /** Writes the connection file and launches the kernel. */
  async start(): Promise<void> {
    if (this.process) throw new Error("KernelManager.start: the kernel was already started");
    this.runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-kernel-"));
    const { file, info } = await writeConnectionFile(this.runtimeDir, this.spec.name);
    this.connection = info;
    this.connectionFile = file;
    const argv = this.spec.argv.map((a) => a.replaceAll("{connection_file}", file).replaceAll("{resource_dir}", this.spec.resourceDir));
    const cwd = this.options.cwd ?? process.cwd();
    if (!fs.existsSync(cwd)) throw new Error(`KernelManager: the kernel's working folder does not exist: ${cwd}`);
    const child = spawn(argv[0], argv.slice(1), {
      cwd,
      env: { ...process.env, ...this.spec.env, ...this.options.env },
      detached: true, // its own process group
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.process = child;
    const keep = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      this.outputTail = (this.outputTail + text).slice(-2000);
      for (const line of text.split("\n")) if (line.trim()) logger.debug(`[kernel ${this.spec.name}] ${line}`);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    child.once("error", (err) => this.finish({ code: null, signal: null, error: err.message }));
    // 'exit' can come before the last output: wait briefly for the pipes to drain
    // (not for 'close', which a grandchild holding the pipes would delay forever).
    const drained = Promise.all([child.stdout!, child.stderr!].map((s) => new Promise((r) => s.once("close", r))));
    child.once("exit", (code, signal) => {
      Promise.race([drained, new Promise((r) => setTimeout(r, 200))]).then(() => this.finish({ code, signal }));
    });
    track(this, true);
    if (child.pid) this.startWatchdog(child.pid);
  }

  // The watchdog outlives this process only to kill the kernel (see WATCHDOG);
  // it never keeps this process alive.
  private startWatchdog(kernelPid: number): void {
    const dog = spawn(process.execPath, ["-e", WATCHDOG, String(process.pid), String(kernelPid), this.runtimeDir!], {
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
      env: { PATH: process.env.PATH ?? "" }, // no NODE_OPTIONS: no loader to start
    });
    dog.once("error", (err) => logger.warn(`the kernel's watchdog could not start (${err.message}): a SIGKILL of this process would leave the kernel running`));
    dog.stdin!.on("error", () => undefined);
    dog.unref();
    (dog.stdin as unknown as { unref?: () => void }).unref?.();
    this.watchdog = dog;
  }

  private finish(exit: KernelExit): void {
    if (this.exit) return;
    this.exit = exit;
    track(this, false);
    this.removeRuntimeDir();
    if (this.watchdog?.stdin?.writable) this.watchdog.stdin.end("release\n");
    this.resolveExit(exit);
  }

  /** Sends a signal to the kernel's process group (ignored once it has exited). */
  signal(sig: NodeJS.Signals): void {
    const pid = this.process?.pid;
    if (!pid || this.exit) return;
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  }

  /**
   * Interrupts the running cell: SIGINT for `interrupt_mode: "signal"`, an
   * `interrupt_request` on the control channel for "message" (needs the client).
   */
  async interrupt(client?: KernelClient): Promise<void> {
    if (!this.isAlive()) throw new Error("Cannot interrupt the kernel: it is not running");
    if (this.spec.interrupt_mode === "signal") return this.signal("SIGINT");
    if (!client) throw new Error(`Kernel "${this.spec.name}" is interrupted by message: pass its KernelClient to interrupt()`);
    await client.controlRequest("interrupt_request", {}, 5000).catch((err) => logger.warn(`interrupt_request got no reply: ${(err as Error).message}`));
  }

  /** Kills the process group at once and removes the connection folder (synchronous: usable in signal and exit handlers). */
  killNow(): void {
    this.signal("SIGKILL");
    this.removeRuntimeDir();
  }

  private removeRuntimeDir(): void {
    if (this.runtimeDir) fs.rmSync(this.runtimeDir, { recursive: true, force: true });
  }

  /**
   * Stops the kernel: a `shutdown_request` on control (when a client is
   * given and the kernel lives), then SIGTERM after half of `waitMs`, then
   * SIGKILL; resolves once the process is gone.
   */
  async shutdown(client?: KernelClient, waitMs = 5000): Promise<KernelExit | undefined> {
    if (!this.process) return undefined;
    const gone = (ms: number) => Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(r, ms, false).unref())]);
    if (this.isAlive() && client) {
      client.controlRequest("shutdown_request", { restart: false }, waitMs).catch(() => undefined);
    }
    if (!client || !(await gone(waitMs / 2))) {
      this.signal("SIGTERM");
      if (!(await gone(waitMs / 2))) this.killNow();
    }
    const exit = await this.exited;
    // The group may hold children the kernel started: make sure they go too.
    try {
      process.kill(-this.process.pid!, "SIGKILL");
    } catch {
      /* no process left in the group */
    }
    return exit;
  }
}
