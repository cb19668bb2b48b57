import cluster, { type Worker } from "node:cluster";
import * as path from "node:path";
import { initBackend } from "../backend";
import { pipeline, type PipelineOptions } from "../pipelines";
import { logger } from "../utils/log";
import { checkOptionKeys } from "../utils/options";
import { aggregateMetrics, ServingMetrics } from "./metrics";
import { createServer, type ModelServer, type ServerOptions } from "./server";

/** What `serveModel()` accepts: a model folder, where to listen, how many workers, and the server's limits. */
export interface ServeOptions extends Omit<ServerOptions, "metrics" | "metricsText"> {
  /** A text-classification model folder of any kind the workbook writes. */
  folder: string;
  /** "fp32" or "q8" to run the folder in ONNX Runtime (as `pipeline()`'s dtype); TensorFlow.js otherwise. */
  dtype?: PipelineOptions["dtype"];
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default "127.0.0.1"; "0.0.0.0" listens on every interface. */
  host?: string;
  /** Processes serving the port (node:cluster); 1 serves from this process. Default 1. */
  workers?: number;
  /** Called once every worker has loaded the model and listens. */
  onListening?: (url: string) => void;
}

const SERVE_OPTIONS = ["folder", "dtype", "port", "host", "workers", "onListening", "modelName", "maxTexts", "maxTextLength", "bodyLimit", "batching", "drainGraceMs"] as const;

/** A running model server: its URL, and `close()` to drain it. */
export interface RunningServer {
  url: string;
  /** Drains every worker (in-flight requests are answered) and stops them. */
  close(): Promise<void>;
}

/** Messages between the primary and its workers. */
type Message =
  | { type: "serve:loaded" }
  | { type: "serve:failed"; message: string }
  | { type: "serve:listen"; port?: number }
  | { type: "serve:listening"; url: string }
  | { type: "serve:drain" }
  | { type: "serve:metrics-request"; id: number }
  | { type: "serve:metrics-json"; id: number; metrics: object[] }
  | { type: "serve:metrics-text"; id: number; text: string };

const isMessage = (m: unknown): m is Message => typeof m === "object" && m !== null && typeof (m as { type?: unknown }).type === "string" && (m as { type: string }).type.startsWith("serve:");

/** Loads the folder's pipeline (the TensorFlow.js backend first, for folders that run there). */
async function load(options: ServeOptions) {
  await initBackend({ quiet: true });
  return options.dtype ? pipeline("text-classification", options.folder, { dtype: options.dtype }) : pipeline("text-classification", options.folder);
}

function serverOptions(options: ServeOptions): ServerOptions {
  const { modelName, maxTexts, maxTextLength, bodyLimit, batching, drainGraceMs } = options;
  return { modelName: modelName ?? path.basename(path.resolve(options.folder)), maxTexts, maxTextLength, bodyLimit, batching, drainGraceMs };
}

const urlOf = (app: ModelServer): string => {
  const a = app.server.address();
  if (a === null || typeof a === "string") return String(a);
  return `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
};

/**
 * `npm run serve`: loads a model folder and serves it over HTTP
 * (`createServer`), from this process or from `workers` processes
 * (node:cluster) sharing the port. Every worker loads the model before any
 * listens: if the folder fails to load, the returned promise rejects with
 * the loader's error and nothing ever listens. SIGTERM (or SIGINT) drains:
 * `/ready` turns 503, every request already received is answered, then the
 * processes exit 0. In a cluster, `/metrics` on any worker answers the sum
 * over all workers, and a worker that dies is replaced (more than 5 in a
 * minute, or a replacement that cannot load the folder, stops the server
 * with exit code 1).
 *
 * @example
 * const server = await serveModel({ folder: "data/models/bow-clinc", port: 8080, workers: 2, batching: { maxWaitMs: 5, maxBatch: 32 } });
 * server.url; // "http://127.0.0.1:8080"
 * await server.close();
 */
export function serveModel(options: ServeOptions): Promise<RunningServer> {
  checkOptionKeys(options, SERVE_OPTIONS, "serveModel");
  if (typeof options.folder !== "string" || options.folder === "") throw new Error("serveModel: pass the model folder to serve");
  const workers = options.workers ?? 1;
  if (!(Number.isInteger(workers) && workers >= 1)) throw new Error(`serveModel: workers must be an integer >= 1, got ${workers}`);
  const port = options.port ?? 8080;
  if (!(Number.isInteger(port) && port >= 0 && port < 65536)) throw new Error(`serveModel: port must be an integer in [0, 65535], got ${port}`);
  if (cluster.isWorker) return serveWorker(options);
  return workers === 1 ? serveHere(options) : servePrimary(options, workers);
}

/** Drain on the first SIGTERM or SIGINT. */
function onStopSignal(stop: () => void): void {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    stop();
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
}

async function serveHere(options: ServeOptions): Promise<RunningServer> {
  const pipe = await load(options);
  const app = createServer(pipe, { ...serverOptions(options), metrics: new ServingMetrics({ defaultMetrics: true }) });
  await app.ready();
  await app.listen({ port: options.port ?? 8080, host: options.host ?? "127.0.0.1" });
  const close = async () => {
    await app.serving.drain();
    pipe.dispose();
  };
  onStopSignal(() => {
    close().then(
      () => process.exit(0),
      (err) => {
        logger.error(`model server: draining failed: ${err instanceof Error ? err.message : err}`);
        process.exit(1);
      },
    );
  });
  const url = urlOf(app);
  options.onListening?.(url);
  return { url, close };
}

async function serveWorker(options: ServeOptions): Promise<RunningServer> {
  const send = (m: Message) => process.send!(m);
  let pipe: Awaited<ReturnType<typeof load>>;
  try {
    pipe = await load(options);
  } catch (err) {
    // Exit once the primary has the message (it prints it and stops the other workers).
    process.send!({ type: "serve:failed", message: err instanceof Error ? err.message : String(err) } satisfies Message, undefined, {}, () => process.exit(1));
    return new Promise<never>(() => {});
  }
  const metrics = new ServingMetrics({ defaultMetrics: true });
  const waiting = new Map<number, (text: string) => void>();
  let next = 0;
  const app = createServer(pipe, {
    ...serverOptions(options),
    metrics,
    // Any worker answers /metrics for all: it asks the primary, which sums the workers' metrics.
    metricsText: () =>
      new Promise<string>((resolve, reject) => {
        const id = next++;
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error("the primary did not answer the metrics request within 5 s"));
        }, 5000);
        waiting.set(id, (text) => {
          clearTimeout(timer);
          resolve(text);
        });
        send({ type: "serve:metrics-request", id });
      }),
  });
  await app.ready();
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= app.serving.drain().then(() => pipe.dispose());
    return closing;
  };
  const drainAndExit = () => close().then(() => process.exit(0), () => process.exit(1));
  onStopSignal(drainAndExit);
  return new Promise<RunningServer>((resolve, reject) => {
    process.on("message", (m: unknown) => {
      if (!isMessage(m)) return;
      if (m.type === "serve:listen") {
        app.listen({ port: m.port ?? options.port ?? 8080, host: options.host ?? "127.0.0.1" }).then((url) => {
          send({ type: "serve:listening", url: urlOf(app) });
          resolve({ url, close });
        }, reject);
      } else if (m.type === "serve:drain") drainAndExit();
      else if (m.type === "serve:metrics-request") metrics.json().then((json) => send({ type: "serve:metrics-json", id: m.id, metrics: json }));
      else if (m.type === "serve:metrics-text") waiting.get(m.id)?.(m.text);
    });
    send({ type: "serve:loaded" });
  });
}

/** Crashed workers the primary replaces within one minute before it gives up and exits 1. */
const MAX_RESTARTS = 5;

function servePrimary(options: ServeOptions, count: number): Promise<RunningServer> {
  const workers = new Set<Worker>();
  let loaded = 0;
  let listening = 0;
  let url = "";
  let state: "starting" | "running" | "draining" | "failed" = "starting";
  let drainFailures = 0;
  // A metrics request from one worker: the primary asks every worker for its JSON and answers the sum.
  const gathering = new Map<string, { from: Worker; id: number; parts: object[][]; pending: number }>();
  let gatherId = 0;

  return new Promise<RunningServer>((resolve, reject) => {
    const close = () =>
      new Promise<void>((done) => {
        if (state !== "draining") {
          state = "draining";
          for (const w of workers) w.send({ type: "serve:drain" } satisfies Message);
        }
        const check = (): unknown => (workers.size === 0 ? done() : setTimeout(check, 20));
        check();
      });
    const fail = (message: string) => {
      if (state === "failed") return;
      const wasRunning = state === "running";
      state = "failed";
      for (const w of workers) w.process.kill("SIGKILL");
      if (!wasRunning) return reject(new Error(message));
      // Serving already: nobody awaits the promise any more; say why and stop, so a supervisor sees the failure.
      logger.error(`model server: ${message}`);
      process.exit(1);
    };
    // Restarts of crashed workers in the last minute: more than MAX_RESTARTS is a crash loop, and the primary gives up.
    const restarts: number[] = [];
    const fork = () => {
      const w = cluster.fork();
      workers.add(w);
      w.on("message", (m: unknown) => {
        if (!isMessage(m)) return;
        if (m.type === "serve:failed") fail(m.message);
        else if (m.type === "serve:loaded") {
          if (state === "running") {
            logger.info(`model server: worker ${w.id} (replacement) loaded the model; listening`);
            // The port the others serve: with --port 0 a replacement's own listen(0) would get a new one.
            w.send({ type: "serve:listen" } satisfies Message);
          }
          else if (state === "starting" && ++loaded === count) for (const each of workers) each.send({ type: "serve:listen" } satisfies Message);
        } else if (m.type === "serve:listening" && state === "starting" && ++listening === count) {
          state = "running";
          url = m.url;
          options.onListening?.(url);
          resolve({ url, close });
        } else if (m.type === "serve:metrics-request") {
          const key = String(gatherId++);
          const live = [...workers].filter((x) => x.isConnected());
          gathering.set(key, { from: w, id: m.id, parts: [], pending: live.length });
          for (const x of live) x.send({ type: "serve:metrics-request", id: Number(key) } satisfies Message);
        } else if (m.type === "serve:metrics-json") {
          const g = gathering.get(String(m.id));
          if (!g) return;
          g.parts.push(m.metrics);
          if (--g.pending === 0) {
            gathering.delete(String(m.id));
            aggregateMetrics(g.parts).then((text) => g.from.isConnected() && g.from.send({ type: "serve:metrics-text", id: g.id, text } satisfies Message));
          }
        }
      });
      w.on("exit", (code, signal) => {
        workers.delete(w);
        if (state === "draining" && (code !== 0 || signal)) drainFailures++;
        if (state === "starting") fail(`model server: worker ${w.id} exited (${signal ?? `code ${code}`}) before it listened`);
        else if (state === "running") {
          const now = Date.now();
          restarts.push(now);
          while (restarts[0] < now - 60_000) restarts.shift();
          if (restarts.length > MAX_RESTARTS) return fail(`workers crashed ${restarts.length} times within a minute (last: worker ${w.id}, ${signal ?? `code ${code}`}); giving up`);
          logger.warn(`model server: worker ${w.id} exited (${signal ?? `code ${code}`}); starting another`);
          fork();
        }
      });
    };
    for (let i = 0; i < count; i++) fork();
    onStopSignal(() => {
      close().then(() => process.exit(drainFailures === 0 ? 0 : 1));
    });
  });
}
