// Executes a notebook's code cells in a fresh kernel (nbclient's
// NotebookClient): outputs recorded as nbformat does, execution counts,
// a per-cell timeout that interrupts the kernel, the kernel's death noticed,
// the run stopped at the first failing cell, the kernel always shut down.
import { logger } from "../../lib/utils/log";
import { KernelClient, TimeoutError, withTimeout } from "./client";
import { KernelManager } from "./kernelManager";
import { getKernelSpec, KernelSpec } from "./kernelspec";
import type { Notebook, NotebookCell } from "./nbformat";
import { Output, OutputArea } from "./outputs";
import type { JupyterMessage } from "./protocol";

/** Options of {@link NotebookClient}; times in seconds, as nbclient's. */
export interface NotebookClientOptions {
  /** Kernel to start; default: the notebook's metadata.kernelspec.name. */
  kernelName?: string;
  /** A spec to use instead of looking one up by name. */
  kernelSpec?: KernelSpec;
  /** The kernel's working folder (default: this process's). */
  cwd?: string;
  /** Extra environment for the kernel, also used to find its spec (JUPYTER_PATH). */
  env?: NodeJS.ProcessEnv;
  /** Per-cell limit in seconds; null (or 0) for none. Default 1800. */
  timeout?: number | null;
  /** How long the kernel may take to start answering. Default 60. */
  startupTimeout?: number;
  /** After an interrupt, how long to wait for the cell to end. Default 10. */
  interruptGrace?: number;
  /**
   * After the reply, how long the cell's IOPub may stay silent before its
   * `idle` (nbclient's iopub_timeout); the wait goes on while output keeps
   * coming. A cell that still misses its idle gets a visible marker output.
   * Default 30 (nbclient's 4 s was seen to pass on a loaded two-core machine,
   * marking a complete cell as incomplete; the wait costs only when idle is missing).
   */
  iopubTimeout?: number;
  /** The most lines one stream output keeps (first and last halves, a marker between). Default 10,000; Infinity for all. */
  maxStreamLines?: number;
  /** shutdown_request, SIGTERM at half of it, SIGKILL at the end. Default 5. */
  shutdownWaitTime?: number;
  /** Heartbeat silence after which a warning is logged (the kernel is busy in synchronous code or hung). Default 60. */
  heartbeatWarning?: number;
  /**
   * Heartbeat silence after which the kernel counts as dead (killed, DeadKernelError).
   * Default null: off, because tslab answers heartbeats on its JavaScript thread, so a
   * long synchronous cell silences them; its death is seen when its process exits.
   */
  heartbeatTimeout?: number | null;
  /** Name used in errors (default "notebook"). */
  notebookName?: string;
  /** Record nbclient's cell.metadata.execution timestamps. Default true. */
  recordTiming?: boolean;
  /** Called before each code cell runs. */
  onCell?: (event: { index: number; codeCell: number; source: string }) => void;
  /** Called with each chunk a cell prints (stdout or stderr), as it arrives: what a console shows of a running cell. */
  onStream?: (event: { codeCell: number; name: "stdout" | "stderr"; text: string }) => void;
}

const OPTION_KEYS = ["kernelName", "kernelSpec", "cwd", "env", "timeout", "startupTimeout", "interruptGrace", "iopubTimeout", "shutdownWaitTime", "heartbeatWarning", "heartbeatTimeout", "notebookName", "recordTiming", "onCell", "onStream", "maxStreamLines"];

/**
 * A cell that failed, named: `<notebook>, code cell <n> (<first line>): <reason>`.
 *
 * @example
 * try { await client.execute(); } catch (err) { if (err instanceof CellError) console.error(`FAILED ${err.message}`); }
 */
export class CellError extends Error {
  constructor(
    readonly notebook: string,
    readonly cellIndex: number,
    readonly codeCell: number,
    readonly firstLine: string,
    readonly reason: string,
  ) {
    super(`${notebook}, code cell ${codeCell} (${firstLine}): ${reason}`);
  }
}

/**
 * The cell raised (the execute_reply's status is "error" or "abort").
 *
 * @example err instanceof CellExecutionError && err.reason; // "Error: boom"
 */
export class CellExecutionError extends CellError {
  override name = "CellExecutionError";
}

/**
 * The cell ran past its timeout and was interrupted.
 *
 * @example err.message; // "01.ipynb, code cell 3 (while (true) {}): timed out after 2 s (interrupted)"
 */
export class CellTimeoutError extends CellError {
  override name = "CellTimeoutError";
}

/**
 * The kernel process died (during startup, codeCell is 0).
 *
 * @example err.message; // "01.ipynb, code cell 2 (process.exit(1);): the kernel died (exit code 1)"
 */
export class DeadKernelError extends CellError {
  override name = "DeadKernelError";
}

function sourceOf(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : (cell.source ?? "");
}

// tslab prints the exception on stderr and leaves the reply's evalue empty:
// take the first "SomeError: message" line there, else the error output, else
// the last stderr line.
const ERROR_LINE = /^((?:[A-Za-z_$][\w$.]*)?(?:Error|Exception)\b[^:\n]*: .*)$/m;

/**
 * A one-line reason for a failed cell from its outputs and execute_reply content.
 *
 * @example describeCellError(cell.outputs, reply.content); // "Error: boom in cell two"
 */
export function describeCellError(outputs: Output[], reply?: Record<string, any>): string {
  const stderr = outputs.map((o) => (o.output_type === "stream" && o.name === "stderr" ? o.text : "")).join("");
  const found = stderr.match(ERROR_LINE);
  if (found) return found[1];
  const error = outputs.find((o) => o.output_type === "error");
  if (error && error.output_type === "error" && (error.evalue || error.ename)) return error.evalue ? `${error.ename}: ${error.evalue}` : error.ename;
  if (reply?.ename) return reply.evalue ? `${reply.ename}: ${reply.evalue}` : reply.ename;
  const last = stderr.trim().split("\n").at(-1);
  if (last) return last.trim();
  return reply?.status === "abort" ? "execution aborted by the kernel" : "the cell failed (no error text)";
}

/**
 * Runs every code cell of a notebook in a new kernel, in order, and records
 * the outputs into the notebook (in place): streams (consecutive chunks
 * merged), display data, execute results, errors, `clear_output` and
 * display updates; `execution_count` numbers the cells run, from 1. The
 * first failing cell stops the run with a {@link CellError} naming it; the
 * notebook then holds the outputs up to that cell. The kernel is shut down
 * in every case.
 *
 * @example
 * const nb = readNotebook("notebooks/01_baseline.ipynb");
 * await new NotebookClient(nb, { cwd: "notebooks", notebookName: "01_baseline.ipynb" }).execute();
 * writeNotebook(nb, "outputs/notebooks/01_baseline.ipynb");
 */
export class NotebookClient {
  km?: KernelManager;
  kc?: KernelClient;
  /** Kernel start to ready, and shutdown, in ms (for overhead measurements). */
  readonly timings = { startup: 0, cells: 0, shutdown: 0 };
  private readonly opts: Required<Omit<NotebookClientOptions, "kernelName" | "kernelSpec" | "cwd" | "env" | "onCell" | "onStream" | "timeout" | "heartbeatTimeout" | "maxStreamLines">> & NotebookClientOptions;
  private displays = new Map<string, Output[]>();
  private codeCellsExecuted = 0;
  private phase: "idle" | "startup" | "cells" | "shutdown" = "idle";
  private current?: { cell: NotebookCell; codeCell: number; firstLine: string; area: OutputArea };

  constructor(readonly nb: Notebook, options: NotebookClientOptions = {}) {
    const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.includes(k));
    if (unknown.length) throw new Error(`NotebookClient: unknown option(s) ${unknown.join(", ")} (expected ${OPTION_KEYS.join(", ")})`);
    for (const k of ["timeout", "startupTimeout", "interruptGrace", "iopubTimeout", "shutdownWaitTime", "heartbeatWarning", "heartbeatTimeout"] as const) {
      const v = options[k];
      if (v !== undefined && v !== null && !(typeof v === "number" && v >= 0)) throw new Error(`NotebookClient: ${k} must be a number of seconds >= 0, got ${JSON.stringify(v)}`);
    }
    if (options.maxStreamLines !== undefined) new OutputArea(new Map(), { maxStreamLines: options.maxStreamLines }); // checks it now, not at the first cell
    this.opts = { startupTimeout: 60, interruptGrace: 10, iopubTimeout: 30, shutdownWaitTime: 5, heartbeatWarning: 60, notebookName: "notebook", recordTiming: true, ...options, timeout: options.timeout === undefined ? 1800 : options.timeout };
  }

  private spec(): KernelSpec {
    if (this.opts.kernelSpec) return this.opts.kernelSpec;
    const name = this.opts.kernelName ?? this.nb.metadata?.kernelspec?.name;
    if (!name) throw new Error(`${this.opts.notebookName}: no kernel named (metadata.kernelspec.name is missing; pass kernelName)`);
    return getKernelSpec(name, { ...process.env, ...this.opts.env });
  }

  /** Failures of the cells run with `plan.allowErrors`, in order, with their position in the plan (from 0); empty otherwise. */
  readonly errors: { step: number; error: CellError }[] = [];

  /**
   * Executes the notebook; resolves with it, or rejects with a CellError (the
   * kernel is gone either way). `plan.cells` runs those code cells instead,
   * in that order, in one kernel (numbers from 1, as errors name them;
   * repeats allowed: re-running cells after Run All, as a user does);
   * `plan.allowErrors` records a failing cell in `errors` and goes on
   * (nbclient's allow_errors), except when the kernel died.
   */
  async execute(plan: { cells?: number[]; allowErrors?: boolean } = {}): Promise<Notebook> {
    const codeIndices = this.nb.cells.flatMap((c, i) => (c.cell_type === "code" ? [i] : []));
    const order = plan.cells ?? codeIndices.map((_, k) => k + 1);
    const bad = order.filter((n) => !Number.isInteger(n) || n < 1 || n > codeIndices.length);
    if (bad.length) throw new Error(`${this.opts.notebookName}: no code cell ${bad.join(", ")} (it has ${codeIndices.length}, numbered from 1)`);
    const t0 = Date.now();
    const km = (this.km = new KernelManager(this.spec(), { cwd: this.opts.cwd, env: this.opts.env }));
    let kc: KernelClient | undefined;
    let tCells = 0;
    this.phase = "startup";
    try {
      await km.start();
      kc = this.kc = new KernelClient(km.connection!);
      await kc.start();
      const died = this.deathOf(km, 0, -1, "kernel startup");
      const info = await withTimeout(kc.waitForReady(this.opts.startupTimeout * 1000, died), this.opts.startupTimeout * 1000 + 1000, "kernel startup").catch((err) => {
        if (err instanceof CellError) throw err;
        throw new DeadKernelError(this.opts.notebookName, -1, 0, "kernel startup", `${(err as Error).message}${km.lastOutput ? `; the kernel printed: ${km.lastOutput.split("\n").slice(-3).join(" | ")}` : ""}`);
      });
      if (info.content.language_info) this.nb.metadata = { ...this.nb.metadata, language_info: info.content.language_info };
      this.timings.startup = Date.now() - t0;
      tCells = Date.now();
      this.phase = "cells";
      for (const [step, codeCell] of order.entries()) {
        const i = codeIndices[codeCell - 1];
        try {
          await this.executeCell(this.nb.cells[i], i, codeCell);
        } catch (err) {
          if (!plan.allowErrors || !(err instanceof CellError) || err instanceof DeadKernelError) throw err;
          this.errors.push({ step, error: err });
          // tslab aborts what arrives within 200 ms of a failed cell (its stop_on_error): wait that out.
          await new Promise((r) => setTimeout(r, 300));
        }
      }
    } finally {
      if (tCells) this.timings.cells = Date.now() - tCells;
      this.phase = "shutdown";
      const tShutdown = Date.now();
      if (km.process) await km.shutdown(kc, this.opts.shutdownWaitTime * 1000);
      kc?.close();
      this.timings.shutdown = Date.now() - tShutdown;
      this.phase = "idle";
    }
    return this.nb;
  }

  /**
   * Marks the run as stopped from outside (a signal to this process): the
   * cell that was running keeps the outputs it had and gets an error output
   * `RunInterrupted` with `reason`; cells after it stay unexecuted. Returns
   * where the run stopped (`<notebook>, code cell <n> (<first line>)`, or the
   * kernel's startup or shutdown), undefined when it was not running.
   * Synchronous, for signal handlers.
   *
   * @example
   * onStop((stop) => { stop.where ??= client.markInterrupted(`stopped by ${stop.signal}`); writeNotebook(nb, output); });
   */
  markInterrupted(reason: string): string | undefined {
    const name = this.opts.notebookName;
    if (this.phase === "startup") return `${name} (kernel startup)`;
    if (this.phase === "shutdown") return `${name} (kernel shutdown, after the last cell)`;
    if (this.phase !== "cells" || !this.current) return undefined;
    const { cell, codeCell, firstLine, area } = this.current;
    cell.outputs = [...area.outputs, { output_type: "error", ename: "RunInterrupted", evalue: reason, traceback: [`RunInterrupted: ${reason}; the cells after this one did not run`] }];
    cell.execution_count = this.codeCellsExecuted;
    return `${name}, code cell ${codeCell} (${firstLine})`;
  }

  // A promise that rejects with DeadKernelError when the kernel exits (never resolves).
  private deathOf(km: KernelManager, index: number, codeCell: number, firstLine: string): Promise<never> {
    const p = km.exited.then((e): never => {
      if (e.error) throw new DeadKernelError(this.opts.notebookName, index, Math.max(codeCell, 0), firstLine, `the kernel could not start (${e.error}; argv ${JSON.stringify(km.spec.argv)})`);
      const how = e.signal ? `signal ${e.signal}` : `exit code ${e.code}`;
      // Before the first cell, what the kernel printed is the only clue.
      const said = codeCell < 1 && km.lastOutput ? `: ${km.lastOutput.split("\n").at(-1)}` : "";
      throw new DeadKernelError(this.opts.notebookName, index, Math.max(codeCell, 0), firstLine, `the kernel died (${how})${said}`);
    });
    p.catch(() => undefined);
    return p;
  }

  /** Runs one cell (code cells with a non-blank source; others are skipped). */
  async executeCell(cell: NotebookCell, index: number, codeCell: number): Promise<NotebookCell> {
    const src = sourceOf(cell);
    if (cell.cell_type !== "code" || !src.trim()) return cell;
    const km = this.km!;
    const kc = this.kc!;
    const firstLine = src.trim().split("\n")[0];
    this.opts.onCell?.({ index, codeCell, source: src });
    const fail = (Err: typeof CellError, reason: string) => new Err(this.opts.notebookName, index, codeCell, firstLine, reason);
    const timing: Record<string, string> = {};
    if (this.opts.recordTiming) cell.metadata = { ...cell.metadata, execution: timing };
    const area = new OutputArea(this.displays, this.opts.maxStreamLines === undefined ? {} : { maxStreamLines: this.opts.maxStreamLines });
    let lastOutputAt = Date.now();
    this.current = { cell, codeCell, firstLine, area };
    let idle!: () => void;
    const idled = new Promise<void>((r) => (idle = r));
    const { msgId, reply } = kc.execute(src);
    kc.onIopub(msgId, (msg: JupyterMessage) => {
      lastOutputAt = Date.now();
      if (this.opts.recordTiming) {
        const state = msg.header.msg_type === "status" ? msg.content.execution_state : undefined;
        if (state === "busy" || state === "idle") timing[`iopub.status.${state}`] = msg.header.date;
        else if (msg.header.msg_type === "execute_input") timing["iopub.execute_input"] = msg.header.date;
      }
      if (msg.header.msg_type === "stream" && this.opts.onStream) {
        const { name, text } = msg.content as { name?: unknown; text?: unknown };
        if ((name === "stdout" || name === "stderr") && typeof text === "string") this.opts.onStream({ codeCell, name, text });
      }
      try {
        if (area.handle(msg)) idle();
      } catch (err) {
        logger.warn(`${this.opts.notebookName}: ignored a malformed ${msg.header.msg_type} message: ${(err as Error).message}`);
      }
    });
    this.codeCellsExecuted++;
    const exited = this.deathOf(km, index, codeCell, firstLine);
    let flatline!: (e: Error) => void;
    const silent = new Promise<never>((_, reject) => (flatline = reject));
    silent.catch(() => undefined);
    const died = Promise.race([exited, silent]);
    died.catch(() => undefined);
    let warned = false;
    const hbLimit = this.opts.heartbeatTimeout ? this.opts.heartbeatTimeout * 1000 : undefined;
    const cellStart = Date.now();
    const watch = setInterval(() => {
      const silence = Math.min(kc.sinceLastBeat(), Date.now() - cellStart);
      if (hbLimit && km.isAlive() && silence > hbLimit) {
        km.killNow();
        flatline(fail(DeadKernelError, `the kernel stopped answering heartbeats for ${this.opts.heartbeatTimeout} s (killed)`));
      }
      if (!warned && km.isAlive() && silence > this.opts.heartbeatWarning * 1000) {
        warned = true;
        logger.warn(`${this.opts.notebookName}, code cell ${codeCell}: the kernel has not answered heartbeats for ${this.opts.heartbeatWarning} s (busy in synchronous code, or hung); waiting for the cell timeout`);
      }
    }, Math.min(1000, hbLimit ?? 1000));
    watch.unref();
    try {
      const limit = this.opts.timeout ? this.opts.timeout * 1000 : undefined;
      let msg: JupyterMessage;
      try {
        msg = await withTimeout(Promise.race([reply, died]), limit, "execute_request");
      } catch (err) {
        if (!(err instanceof TimeoutError)) throw err;
        if (!km.isAlive()) await exited;
        logger.warn(`${this.opts.notebookName}, code cell ${codeCell}: timed out after ${this.opts.timeout} s, interrupting the kernel`);
        await km.interrupt(kc);
        const ended = await withTimeout(Promise.race([Promise.all([reply, idled]), died]), this.opts.interruptGrace * 1000, "interrupt").then(
          () => "interrupted",
          (e) => {
            if (e instanceof CellError) throw e;
            return "the interrupt did not stop it";
          },
        );
        throw fail(CellTimeoutError, `timed out after ${this.opts.timeout} s (${ended})`);
      }
      if (this.opts.recordTiming) timing["shell.execute_reply"] = msg.header.date;
      // The reply can overtake the last outputs: wait for this request's idle,
      // as long as output keeps coming; never drop the rest silently.
      const silence = this.opts.iopubTimeout * 1000;
      for (let done = false; !done; ) {
        done = await withTimeout(Promise.race([idled, died]), Math.max(1, lastOutputAt + silence - Date.now()), "iopub").then(
          () => true,
          (e) => {
            if (e instanceof CellError) throw e;
            if (Date.now() - lastOutputAt < silence) return false;
            logger.warn(`${this.opts.notebookName}, code cell ${codeCell}: timeout waiting for IOPub output`);
            area.handle({ header: { msg_type: "stream" } as JupyterMessage["header"], content: { name: "stderr", text: `… the output may be incomplete: the kernel went silent for ${this.opts.iopubTimeout} s after the cell's reply without saying it was idle (iopubTimeout) …\n` } });
            return true;
          },
        );
      }
      const status = msg.content.status;
      if (status === "error" || status === "abort") throw fail(CellExecutionError, describeCellError(area.outputs, msg.content));
      return cell;
    } finally {
      clearInterval(watch);
      kc.offIopub(msgId);
      cell.outputs = area.outputs;
      cell.execution_count = this.codeCellsExecuted;
    }
  }
}
