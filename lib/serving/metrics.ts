import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The Prometheus content type of `/metrics` (text exposition format 0.0.4). */
const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * The server's Prometheus metrics, in a registry of their own (so several
 * servers in one process, as in tests, do not share counters):
 * `serve_requests_total{route,status}`, `serve_request_duration_seconds{route}`,
 * `serve_batch_texts` (texts per model call), `serve_texts_total`,
 * `serve_errors_total{code}` and `serve_in_flight_requests`, plus the
 * process's default metrics (CPU, memory, event-loop lag) when asked for.
 *
 * @example
 * const metrics = new ServingMetrics();
 * metrics.requests.inc({ route: "/predict", status: "200" });
 * await metrics.text(); // "# HELP serve_requests_total …\nserve_requests_total{route=\"/predict\",status=\"200\"} 1\n…"
 */
export class ServingMetrics {
  readonly registry = new Registry();
  readonly contentType = CONTENT_TYPE;
  readonly requests: Counter<"route" | "status">;
  readonly latency: Histogram<"route">;
  readonly batchTexts: Histogram;
  readonly texts: Counter;
  readonly errors: Counter<"code">;
  readonly inFlight: Gauge;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({ name: "serve_requests_total", help: "HTTP requests answered, by route and status code", labelNames: ["route", "status"] as const, registers });
    this.latency = new Histogram({
      name: "serve_request_duration_seconds",
      help: "Time from receiving a request to sending its response, in seconds",
      labelNames: ["route"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.batchTexts = new Histogram({ name: "serve_batch_texts", help: "Texts per model call (a micro-batch, or one request's texts without batching)", buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers });
    this.texts = new Counter({ name: "serve_texts_total", help: "Texts classified", registers });
    this.errors = new Counter({ name: "serve_errors_total", help: "Error responses, by error code (bad_json, invalid_body, text_too_long, …)", labelNames: ["code"] as const, registers });
    this.inFlight = new Gauge({ name: "serve_in_flight_requests", help: "Requests received and not yet answered", registers });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** The metrics in Prometheus' text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The metrics as JSON, for adding up across workers (`aggregateMetrics`). */
  json(): Promise<object[]> {
    return this.registry.getMetricsAsJSON();
  }
}

/**
 * Several workers' metrics (`ServingMetrics.json()` each) as one Prometheus
 * text: counters and histograms add up, as prom-client's cluster registry does.
 *
 * @example
 * const text = await aggregateMetrics([await a.json(), await b.json()]); // serve_requests_total{…} = a's + b's
 */
export function aggregateMetrics(perWorker: object[][]): Promise<string> {
  return AggregatorRegistry.aggregate(perWorker).metrics();
}
