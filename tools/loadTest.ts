// N POST requests at a fixed concurrency, driven by autocannon (a maintained
// HTTP load generator), with each request's status, parsed answer and
// latency kept in the order sent: what the server tests check request by
// request. Fixed-duration load tests with percentiles are lib/serving's
// runLoad / loadTestServer.
import * as http from "node:http";

export interface LoadTestOptions {
  /** e.g. "http://127.0.0.1:8080/predict" */
  url: string;
  /** The JSON bodies to send, used in turn (request i sends bodies[i % bodies.length]). */
  bodies: readonly unknown[];
  /** Requests in all. */
  requests: number;
  /** Requests in flight at once (autocannon's connections, one keep-alive connection each). */
  concurrency: number;
  /** Every request on its own TCP connection: needs requests <= concurrency (one request per connection). */
  newConnection?: boolean;
  /** Per-request timeout in ms (default 60 s). */
  timeoutMs?: number;
}

export interface LoadTestResult {
  /** One per request, in the order sent: the HTTP status, or "error" where no answer came back (a network error or a timeout). */
  statuses: (number | string)[];
  /** Parsed JSON bodies, in the order sent (undefined where none came back). */
  bodies: unknown[];
  /** Milliseconds per request, in the order sent (NaN where none came back). */
  latenciesMs: number[];
  wallMs: number;
  /** Answered requests per second. */
  throughput: number;
  p50Ms: number;
  p99Ms: number;
}

type Autocannon = (opts: object, cb: (err: Error | null, result: unknown) => void) => unknown;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon: Autocannon = require("autocannon");

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** One POST of a JSON body: its status and parsed body, or the network error. */
export function postJson(url: string, body: unknown, options: { agent?: http.Agent | false; timeoutMs?: number } = {}): Promise<{ status: number; body: unknown }> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent: options.agent, headers: { "content-type": "application/json", "content-length": data.length }, timeout: options.timeoutMs ?? 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: parse(Buffer.concat(chunks).toString("utf8")) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("request timed out"), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    req.end(data);
  });
}

/**
 * Sends `requests` POSTs with autocannon at `concurrency` connections and
 * reports each request's status, answer and latency, in order, with the
 * throughput and latency percentiles. Network errors are recorded, not thrown.
 */
export async function loadTest(options: LoadTestOptions): Promise<LoadTestResult> {
  const { url, bodies, requests, concurrency } = options;
  if (bodies.length === 0) throw new Error("loadTest: pass at least one body");
  for (const [name, v] of [["requests", requests], ["concurrency", concurrency]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`loadTest: ${name} must be a whole number >= 1, got ${v}`);
  }
  const connections = Math.min(concurrency, requests);
  if (options.newConnection && requests > connections) throw new Error(`loadTest: newConnection sends one request per connection, so it needs requests <= concurrency (got ${requests} requests at concurrency ${concurrency})`);
  const statuses: (number | string)[] = new Array(requests).fill("error");
  const answers: unknown[] = new Array(requests);
  const latencies: number[] = new Array(requests).fill(NaN);
  // autocannon builds each connection's next request just before sending it, so the build order is the order sent.
  let next = 0;
  const path = new URL(url).pathname;
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    autocannon(
      {
        url,
        connections,
        amount: requests,
        timeout: (options.timeoutMs ?? 60_000) / 1000,
        requests: [
          {
            method: "POST",
            path,
            headers: { "content-type": "application/json" },
            setupRequest: (req: object, context: { i?: number; t0?: number }) => {
              const i = next++;
              context.i = i;
              context.t0 = performance.now();
              return { ...req, body: JSON.stringify(bodies[i % bodies.length]) };
            },
            onResponse: (status: number, body: string, context: { i?: number; t0?: number }) => {
              const i = context.i!;
              if (i >= requests) return;
              statuses[i] = status;
              answers[i] = parse(body);
              latencies[i] = performance.now() - context.t0!;
            },
          },
        ],
      },
      (err) => (err ? reject(err) : resolve()),
    );
  });
  const wallMs = performance.now() - start;
  const sorted = latencies.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const answered = statuses.filter((s) => typeof s === "number").length;
  return { statuses, bodies: answers, latenciesMs: latencies, wallMs, throughput: (answered / wallMs) * 1000, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99) };
}
