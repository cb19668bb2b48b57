import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from "fastify";
import type { ClassificationResult, TextClassificationPipelineCall } from "../pipelines";
import { logger } from "../utils/log";
import { checkOptionKeys } from "../utils/options";
import { MicroBatcher } from "./batcher";
import { ServingMetrics } from "./metrics";

/** A loaded text-classification pipeline, as `pipeline("text-classification", dir, …)` returns it (any folder kind). */
export type ServedPipeline = TextClassificationPipelineCall;

/** What `createServer()` accepts. */
export interface ServerOptions {
  /** The model's name in every prediction response (e.g. the folder's name). Default "model". */
  modelName?: string;
  /** Texts in one request at most; more is a 422 `too_many_texts`. Default 64. */
  maxTexts?: number;
  /**
   * Characters in one text at most; a longer text is a 422 `text_too_long`
   * (it is never cut silently). A text within the limit that has more tokens
   * than the model takes is truncated by the tokenizer, as `pipeline()` does.
   * Default 2,000 (CLINC150 queries are under 200).
   */
  maxTextLength?: number;
  /** Bytes in a request body at most; more is a 413 `body_too_large`. Default 1 MiB. */
  bodyLimit?: number;
  /**
   * Micro-batching: concurrent requests' texts share one model call, closed
   * after `maxWaitMs` or at `maxBatch` texts. Default off (each request is
   * its own call).
   */
  batching?: { maxWaitMs: number; maxBatch: number } | false;
  /** Where the server counts (a fresh `ServingMetrics` by default). */
  metrics?: ServingMetrics;
  /** What `GET /metrics` answers; default this server's own metrics (a cluster worker passes the workers' sum). */
  metricsText?: () => Promise<string>;
  /**
   * How long `drain()` keeps serving with `/ready` at 503 before it stops
   * taking connections, in ms, so a load balancer polling `/ready` stops
   * sending requests first. Default 0.
   */
  drainGraceMs?: number;
}

const SERVER_OPTIONS = ["modelName", "maxTexts", "maxTextLength", "bodyLimit", "batching", "metrics", "metricsText", "drainGraceMs"] as const;

/** One prediction: the best label of a text, with the out-of-scope fallback saved with the model applied (`fallback: true` when it was). */
export type Prediction = ClassificationResult;

/** The body of a 200 from `POST /predict`: one prediction per input text, in order (a single text gives a list of one). */
export interface PredictResponse {
  model: string;
  predictions: Prediction[];
}

/** The body of every error response. */
export interface ErrorResponse {
  error: { code: string; message: string };
}

/** Where a server stands: `/ready` is 200 only when "ready". */
export type ServerState = "loading" | "ready" | "draining";

/** What `createServer()` adds to the Fastify instance. */
export interface ServingHandle {
  readonly state: ServerState;
  readonly metrics: ServingMetrics;
  /** The micro-batcher, when batching is on. */
  readonly batcher: MicroBatcher<string, ClassificationResult> | undefined;
  /** The pipeline's loading error, when it failed (the server then stays "loading" and answers 503). */
  readonly loadError: Error | undefined;
  /**
   * Turns `/ready` to 503, keeps serving for `drainGraceMs`, then stops
   * taking connections, answers every request already received, and closes.
   */
  drain(): Promise<void>;
}

/** A Fastify instance serving a model: `listen()` it, or `inject()` requests without a port. */
export type ModelServer = FastifyInstance & { serving: ServingHandle };

const BODY_SCHEMA = {
  type: "object",
  required: ["inputs"],
  additionalProperties: false,
  properties: {
    inputs: { type: ["string", "array"], minLength: 1, minItems: 1, items: { type: "string", minLength: 1 } },
  },
} as const;

const positiveInt = (v: unknown, name: string): number => {
  if (!(Number.isInteger(v) && (v as number) >= 1)) throw new Error(`createServer: ${name} must be an integer >= 1, got ${JSON.stringify(v)}`);
  return v as number;
};

/** A pipeline's own message about one input it cannot classify ("… input 2 has no text the tokenizer can read …"): the client's input, not the server. */
const INPUT_ERROR = /^text-classification pipeline: input \d+ /;

/**
 * An HTTP server for a text-classification pipeline (Fastify):
 * `POST /predict` with `{ "inputs": "text" }` or `{ "inputs": ["text", …] }`
 * answers `{ model, predictions: [{ label, score }, …] }`, one prediction per
 * text in order, with the out-of-scope fallback saved with the model applied
 * (`fallback: true` marks it). `GET /health` is 200 while the process runs (`{ status: "ok", pid }`);
 * `GET /ready` is 200 once the pipeline has loaded and 503 while loading or
 * draining (`drain()`: it then keeps serving for `drainGraceMs`, answers
 * what it has received, and closes); `GET /metrics` is Prometheus text. Every bad request gets a 4xx
 * `{ error: { code, message } }`: 400 `bad_json` / `invalid_body`, 413
 * `body_too_large`, 415 `unsupported_media_type`, 422 `too_many_texts` /
 * `text_too_long` / `unreadable_text`; 503 `not_ready`; 404 `not_found`.
 * The server holds no state between requests, so replicas behind any load
 * balancer scale it out.
 *
 * @example
 * const app = createServer(pipeline("text-classification", "data/models/bow-clinc"), { modelName: "bow-clinc", batching: { maxWaitMs: 5, maxBatch: 32 } });
 * const res = await app.inject({ method: "POST", url: "/predict", payload: { inputs: "what is my balance" } });
 * res.json(); // { model: "bow-clinc", predictions: [{ label: "balance", score: 0.995… }] }
 * await app.listen({ port: 8080, host: "0.0.0.0" }); // or serve it
 */
export function createServer(pipe: ServedPipeline | Promise<ServedPipeline>, options: ServerOptions = {}): ModelServer {
  checkOptionKeys(options, SERVER_OPTIONS, "createServer");
  const modelName = options.modelName ?? "model";
  const maxTexts = positiveInt(options.maxTexts ?? 64, "maxTexts");
  const maxTextLength = positiveInt(options.maxTextLength ?? 2000, "maxTextLength");
  const bodyLimit = positiveInt(options.bodyLimit ?? 1 << 20, "bodyLimit");
  const metrics = options.metrics ?? new ServingMetrics();
  const metricsText = options.metricsText ?? (() => metrics.text());
  const drainGraceMs = options.drainGraceMs ?? 0;
  if (!(Number.isFinite(drainGraceMs) && drainGraceMs >= 0)) throw new Error(`createServer: drainGraceMs must be a number >= 0, got ${drainGraceMs}`);

  let state: ServerState = "loading";
  let loaded: ServedPipeline | undefined;
  let loadError: Error | undefined;
  Promise.resolve(pipe).then(
    (p) => {
      loaded = p;
      if (state === "loading") state = "ready";
    },
    (err: unknown) => {
      loadError = err instanceof Error ? err : new Error(String(err));
      logger.error(`createServer: the pipeline failed to load: ${loadError.message}`);
    },
  );

  const run = async (texts: readonly string[]): Promise<ClassificationResult[]> => {
    const rows = await loaded!(texts);
    return rows.map((r) => r[0]);
  };
  const batching = options.batching || undefined;
  const batcher = batching ? new MicroBatcher(run, { maxWaitMs: batching.maxWaitMs, maxBatch: positiveInt(batching.maxBatch, "batching.maxBatch"), onBatch: (n) => metrics.batchTexts.observe(n) }) : undefined;
  const classify = batcher
    ? (texts: readonly string[]) => batcher.submit(texts)
    : (texts: readonly string[]) => {
        metrics.batchTexts.observe(texts.length);
        return run(texts);
      };

  const app = Fastify({
    logger: false,
    bodyLimit,
    // While closing, a request on a connection that is still open reaches the routes (Fastify adds
    // Connection: close) and is answered, not refused with Fastify's own 503 body.
    return503OnClosing: false,
    forceCloseConnections: "idle",
    // Types are checked, never coerced: [1, 2] is not ["1", "2"]; unknown keys are an error, not dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, allowUnionTypes: true } },
  });
  // JSON only: a text/plain body is a 415, not a string that fails the schema. Parsed by JSON.parse so a
  // malformed body's error says where ("… at position 17"); a "__proto__" key stays an own key, which the
  // schema's additionalProperties: false refuses.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === "") return done(Object.assign(new Error('the body is empty; send {"inputs": …}'), { statusCode: 400, serveCode: "bad_json" }), undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(Object.assign(new Error(`the body is not valid JSON: ${(err as Error).message}`), { statusCode: 400, serveCode: "bad_json" }), undefined);
    }
  });

  const fail = (reply: FastifyReply, status: number, code: string, message: string) => {
    metrics.errors.inc({ code });
    return reply.code(status).type("application/json; charset=utf-8").send({ error: { code, message } } satisfies ErrorResponse);
  };

  app.addHook("onRequest", async (request, reply) => {
    metrics.inFlight.inc();
    reply.raw.once("close", () => metrics.inFlight.dec());
  });
  // Once draining, every response closes its connection, so no keep-alive connection holds the close up
  // (Node closes the connections idle when it stops listening, not those that turn idle afterwards).
  app.addHook("onSend", async (request, reply, payload) => {
    if (state === "draining") reply.header("connection", "close");
    return payload;
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err: FastifyError & { serveCode?: string }, request, reply) => {
    if (err.serveCode) return fail(reply, err.statusCode ?? 400, err.serveCode, err.message);
    if (err.validation) return fail(reply, 400, "invalid_body", `${err.message} (expected {"inputs": "a text"} or {"inputs": ["a text", …]})`);
    switch (err.code) {
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        return fail(reply, 415, "unsupported_media_type", `send JSON with Content-Type: application/json (got ${request.headers["content-type"] ? `"${request.headers["content-type"]}"` : "no Content-Type"})`);
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        return fail(reply, 413, "body_too_large", `the request body is over the server's limit of ${bodyLimit} bytes`);
    }
    // Anything else Fastify refuses before the route (a bad Content-Length, …) keeps its status and says why.
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return fail(reply, err.statusCode, "bad_request", err.message);
    logger.error(`model server: ${request.method} ${request.url}: ${err.stack ?? err.message}`);
    return fail(reply, 500, "internal_error", "the server failed on this request (see its log)");
  });
  app.setNotFoundHandler((request, reply) => fail(reply, 404, "not_found", `no route ${request.method} ${request.url} (routes: POST /predict, GET /health, GET /ready, GET /metrics)`));

  app.get("/health", async () => ({ status: "ok", pid: process.pid }));
  app.get("/ready", async (request, reply) => {
    if (state === "ready") return { status: "ready", model: modelName };
    const message = state === "draining" ? "the server is draining (shutting down)" : loadError ? `the model failed to load: ${loadError.message}` : "the model is loading";
    metrics.errors.inc({ code: "not_ready" });
    return reply.code(503).send({ status: state, error: { code: "not_ready", message } });
  });
  app.get("/metrics", async (request, reply) => reply.type(metrics.contentType).send(await metricsText()));

  app.post("/predict", { schema: { body: BODY_SCHEMA } }, async (request, reply) => {
    // Draining still answers: whatever reaches the server before it closes is served.
    if (!loaded) return fail(reply, 503, "not_ready", loadError ? `the model failed to load: ${loadError.message}` : "the model is still loading; retry when GET /ready is 200");
    const { inputs } = request.body as { inputs: string | string[] };
    const single = typeof inputs === "string";
    const texts = single ? [inputs] : inputs;
    const name = (i: number) => (single ? "inputs" : `inputs[${i}]`);
    if (texts.length > maxTexts) return fail(reply, 422, "too_many_texts", `${texts.length} texts in one request; the server takes at most ${maxTexts} (split the list)`);
    for (let i = 0; i < texts.length; i++) {
      if (texts[i].length > maxTextLength) return fail(reply, 422, "text_too_long", `${name(i)} has ${texts[i].length} characters; the server takes at most ${maxTextLength} per text`);
      if (texts[i].trim().length === 0) return fail(reply, 400, "invalid_body", `${name(i)} is blank (only whitespace)`);
    }
    let predictions: ClassificationResult[];
    try {
      predictions = await classify(texts);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (INPUT_ERROR.test(message)) return fail(reply, 422, "unreadable_text", message.replace(/^text-classification pipeline: input (\d+)/, (_, i) => name(Number(i))));
      throw err;
    }
    metrics.texts.inc(texts.length);
    return { model: modelName, predictions } satisfies PredictResponse;
  });

  let draining: Promise<void> | undefined;
  const drain = () => {
    state = "draining";
    draining ??= (async () => {
      if (drainGraceMs > 0) await new Promise((r) => setTimeout(r, drainGraceMs));
      await app.close();
    })();
    return draining;
  };
  const handle: ServingHandle = {
    get state() {
      return state;
    },
    metrics,
    batcher,
    get loadError() {
      return loadError;
    },
    drain,
  };
  app.decorate("serving", handle);
  return app as unknown as ModelServer;
}
