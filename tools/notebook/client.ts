// A kernel client over ZeroMQ (jupyter_client's KernelClient): shell and
// control DEALER sockets, an iopub SUBSCRIBER, a heartbeat; requests are
// matched to replies and IOPub messages by their parent msg_id.
import type * as Zmq from "zeromq";
import { logger } from "../../lib/utils/log";
import { JupyterMessage, Session } from "./protocol";
import type { ConnectionInfo } from "./kernelManager";

export type Channel = "shell" | "control";

/** Options of {@link KernelClient}. */
export interface KernelClientOptions {
  /** Heartbeat ping interval (ms); 0 turns the heartbeat off. */
  heartbeatInterval?: number;
}

interface Pending {
  resolve: (m: JupyterMessage) => void;
  reject: (e: Error) => void;
}

/**
 * Rejects with a {@link TimeoutError} after `ms` (never when ms is undefined or Infinity).
 *
 * @example const reply = await withTimeout(kc.controlRequest("shutdown_request", {}), 5000, "shutdown_request");
 */
export function withTimeout<T>(p: Promise<T>, ms: number | undefined, what: string): Promise<T> {
  if (ms === undefined || !Number.isFinite(ms)) return p;
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new TimeoutError(`${what}: no answer in ${ms / 1000} s`)), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * A wait that ran out of time.
 *
 * @example if (err instanceof TimeoutError) await km.interrupt(kc);
 */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

// One send at a time per socket (zeromq v6 refuses a second pending send).
class SendQueue {
  private tail: Promise<unknown> = Promise.resolve();
  constructor(private readonly socket: Zmq.Dealer) {}
  send(frames: Buffer[]): Promise<void> {
    const next = this.tail.then(() => this.socket.send(frames));
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/**
 * Talks to a running kernel from its connection info. `request()` sends on
 * shell or control and resolves with the reply; `onIopub(msgId, f)` routes
 * the IOPub messages of one request; `isBeating()` tells whether the
 * heartbeat answered lately.
 *
 * @example
 * const kc = new KernelClient(km.connection!);
 * await kc.start();
 * await kc.waitForReady(60_000);
 * const { msgId, reply } = kc.execute("console.log(1)");
 * kc.onIopub(msgId, (m) => console.log(m.header.msg_type));
 * await reply;
 * kc.close();
 */
export class KernelClient {
  readonly session: Session;
  private zmq?: typeof Zmq;
  private sockets: { shell?: Zmq.Dealer; control?: Zmq.Dealer; iopub?: Zmq.Subscriber; hb?: Zmq.Dealer } = {};
  private queues: Partial<Record<Channel | "hb", SendQueue>> = {};
  private pending = new Map<string, Pending>();
  private iopubRoutes = new Map<string, (m: JupyterMessage) => void>();
  private hbTimer?: NodeJS.Timeout;
  private lastBeat = 0;
  private closed = false;
  /** Messages seen on IOPub (any parent): the readiness check counts them. */
  iopubCount = 0;

  constructor(readonly connection: ConnectionInfo, readonly options: KernelClientOptions = {}) {
    const unknown = Object.keys(options).filter((k) => !["heartbeatInterval"].includes(k));
    if (unknown.length) throw new Error(`KernelClient: unknown option(s) ${unknown.join(", ")} (heartbeatInterval)`);
    this.session = new Session({ key: connection.key, signatureScheme: connection.signature_scheme });
  }

  private url(port: number): string {
    return `${this.connection.transport}://${this.connection.ip}:${port}`;
  }

  /** Connects the sockets (ZeroMQ connects lazily: the kernel may still be starting). */
  async start(): Promise<void> {
    // Loaded here, not at import: the notebooks' "workbook" package never needs it.
    const zmq: typeof Zmq = (this.zmq = require("zeromq"));
    const c = this.connection;
    const dealer = (port: number) => {
      const s = new zmq.Dealer({ linger: 0, routingId: `${this.session.session}-${port}` });
      s.connect(this.url(port));
      return s;
    };
    this.sockets.shell = dealer(c.shell_port);
    this.sockets.control = dealer(c.control_port);
    const iopub = new zmq.Subscriber({ linger: 0 });
    iopub.connect(this.url(c.iopub_port));
    iopub.subscribe();
    this.sockets.iopub = iopub;
    this.queues.shell = new SendQueue(this.sockets.shell);
    this.queues.control = new SendQueue(this.sockets.control);
    this.readLoop(this.sockets.shell, "shell");
    this.readLoop(this.sockets.control, "control");
    this.readLoop(iopub, "iopub");
    const interval = this.options.heartbeatInterval ?? 1000;
    if (interval > 0) this.startHeartbeat(interval);
  }

  private async readLoop(socket: Zmq.Dealer | Zmq.Subscriber, channel: Channel | "iopub"): Promise<void> {
    try {
      for await (const frames of socket) {
        let msg: JupyterMessage;
        try {
          msg = this.session.deserialize(frames as Buffer[]).message;
        } catch (err) {
          logger.warn(`Dropped a bad ${channel} message: ${(err as Error).message}`);
          continue;
        }
        const parent = msg.parent_header?.msg_id as string | undefined;
        if (channel === "iopub") {
          this.iopubCount++;
          const route = parent ? this.iopubRoutes.get(parent) : undefined;
          if (route) route(msg);
          continue;
        }
        const waiting = parent ? this.pending.get(parent) : undefined;
        if (waiting) {
          this.pending.delete(parent!);
          waiting.resolve(msg);
        } else logger.debug(`Unmatched ${channel} reply ${msg.header.msg_type}`);
      }
    } catch (err) {
      if (!this.closed) logger.warn(`The ${channel} channel stopped: ${(err as Error).message}`);
    }
  }

  private startHeartbeat(interval: number): void {
    const hb = new this.zmq!.Dealer({ linger: 0 });
    hb.connect(this.url(this.connection.hb_port));
    this.sockets.hb = hb;
    this.queues.hb = new SendQueue(hb);
    (async () => {
      try {
        for await (const _ of hb) this.lastBeat = Date.now();
      } catch {
        /* closed */
      }
    })();
    const ping = () => {
      // A REP socket answers a DEALER's [empty delimiter, payload] with the same envelope.
      this.queues.hb!.send([Buffer.alloc(0), Buffer.from("ping")]).catch(() => undefined);
    };
    ping();
    this.hbTimer = setInterval(ping, interval);
    this.hbTimer.unref();
  }

  /** Whether the kernel answered a heartbeat within the last `withinMs`. */
  isBeating(withinMs = 3000): boolean {
    return this.lastBeat > 0 && Date.now() - this.lastBeat < withinMs;
  }

  /** Milliseconds since the last heartbeat answer (Infinity before the first). */
  sinceLastBeat(): number {
    return this.lastBeat ? Date.now() - this.lastBeat : Infinity;
  }

  /** Routes IOPub messages whose parent is `msgId` to `f` (until `offIopub`). */
  onIopub(msgId: string, f: (m: JupyterMessage) => void): void {
    this.iopubRoutes.set(msgId, f);
  }

  offIopub(msgId: string): void {
    this.iopubRoutes.delete(msgId);
  }

  /** Sends a message and returns its id and a promise of the reply (on the same channel). */
  send(channel: Channel, msg: JupyterMessage): Promise<JupyterMessage> {
    if (this.closed || !this.queues[channel]) return Promise.reject(new Error(`KernelClient: not connected (start() it first)`));
    const reply = new Promise<JupyterMessage>((resolve, reject) => this.pending.set(msg.header.msg_id, { resolve, reject }));
    reply.catch(() => undefined); // a reply nobody awaits any more must not crash the process when close() rejects it
    this.queues[channel]!.send(this.session.serialize(msg)).catch((err) => {
      const p = this.pending.get(msg.header.msg_id);
      this.pending.delete(msg.header.msg_id);
      p?.reject(err);
    });
    return reply;
  }

  /** A request on control (shutdown_request, interrupt_request), resolved with its reply. */
  controlRequest(msgType: string, content: Record<string, unknown>, timeoutMs?: number): Promise<JupyterMessage> {
    const msg = this.session.msg(msgType, content);
    return withTimeout(this.send("control", msg), timeoutMs, msgType);
  }

  /**
   * Sends an `execute_request` on shell. Register `onIopub(msgId, …)` at once
   * (in the same tick) to see its outputs.
   */
  execute(code: string, options: { silent?: boolean; storeHistory?: boolean; stopOnError?: boolean } = {}): { msgId: string; reply: Promise<JupyterMessage> } {
    const msg = this.session.msg("execute_request", {
      code,
      silent: options.silent ?? false,
      store_history: options.storeHistory ?? true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: options.stopOnError ?? true,
    });
    return { msgId: msg.header.msg_id, reply: this.send("shell", msg) };
  }

  /**
   * Waits until the kernel answers `kernel_info_request` on shell AND its
   * IOPub messages reach us (a subscriber misses what is published before
   * its subscription lands), resending the request until both hold.
   * Resolves with the kernel_info_reply.
   */
  async waitForReady(timeoutMs: number, abort?: Promise<never>): Promise<JupyterMessage> {
    const deadline = Date.now() + timeoutMs;
    let info: JupyterMessage | undefined;
    const seen = new Set<string>();
    while (Date.now() < deadline) {
      const msg = this.session.msg("kernel_info_request", {});
      this.onIopub(msg.header.msg_id, () => seen.add(msg.header.msg_id));
      const reply = this.send("shell", msg);
      const left = Math.max(1, deadline - Date.now());
      try {
        // Resent every 2 s until the first reply, as jupyter_client does: a
        // request the kernel lost while starting (tslab can) must not cost the whole wait.
        const r = await withTimeout(abort ? Promise.race([reply, abort]) : reply, Math.min(left, info ? 500 : 2000), "kernel_info_request");
        info ??= r;
      } catch (err) {
        if (!(err instanceof TimeoutError)) throw err;
        if (!info) {
          this.pending.delete(msg.header.msg_id); // a late reply is simply dropped
          this.offIopub(msg.header.msg_id);
          continue;
        }
      }
      // The kernel publishes busy/idle for each request: wait a moment for them.
      const until = Date.now() + 200;
      while (!seen.has(msg.header.msg_id) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      this.offIopub(msg.header.msg_id);
      if (info && seen.size > 0) return info;
    }
    throw new TimeoutError(`The kernel did not become ready in ${timeoutMs / 1000} s (${info ? "IOPub never delivered a message" : "no kernel_info_reply"})`);
  }

  /** Closes the sockets; pending requests are rejected. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.hbTimer) clearInterval(this.hbTimer);
    for (const s of Object.values(this.sockets)) s?.close();
    for (const p of this.pending.values()) p.reject(new Error("KernelClient closed"));
    this.pending.clear();
    this.iopubRoutes.clear();
  }
}
