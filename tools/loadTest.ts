// A small HTTP load generator for the model server (npm run serve): N POST
// requests at a fixed concurrency, each on its own connection or on a shared
// keep-alive pool, with every status and latency recorded.
import * as http from "node:http";

export interface LoadTestOptions {
  /** e.g. "http://127.0.0.1:8080/predict" */
  url: string;
  /** The JSON bodies to send, used in turn. */
  bodies: readonly unknown[];
  /** Requests in all. */
  requests: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Open a new TCP connection per request (true) or reuse keep-alive connections (default). */
  newConnection?: boolean;
  /** Per-request timeout in ms (default 60 s). */
  timeoutMs?: number;
}

export interface LoadTestResult {
  /** One per request, in the order sent: the HTTP status, or the network error's code ("ECONNRESET", …). */
  statuses: (number | string)[];
  /** Parsed JSON bodies, in the order sent (undefined where none came back). */
  bodies: unknown[];
  /** Milliseconds per request, in the order sent. */
  latenciesMs: number[];
  wallMs: number;
  /** Answered requests per second. */
  throughput: number;
  p50Ms: number;
  p99Ms: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** One POST of a JSON body: its status and parsed body, or the network error. */
export function postJson(url: string, body: unknown, options: { agent?: http.Agent | false; timeoutMs?: number } = {}): Promise<{ status: number; body: unknown }> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent: options.agent, headers: { "content-type": "application/json", "content-length": data.length }, timeout: options.timeoutMs ?? 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("request timed out"), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    req.end(data);
  });
}

/**
 * Sends `requests` POSTs at `concurrency` in flight and reports statuses,
 * throughput and latency percentiles. Network errors are recorded, not thrown.
 */
export async function loadTest(options: LoadTestOptions): Promise<LoadTestResult> {
  const { url, bodies, requests, concurrency } = options;
  if (bodies.length === 0) throw new Error("loadTest: pass at least one body");
  const agent = options.newConnection ? false : new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses: (number | string)[] = new Array(requests);
  const answers: unknown[] = new Array(requests);
  const latencies: number[] = new Array(requests);
  let next = 0;
  const start = performance.now();
  const lane = async () => {
    while (next < requests) {
      const i = next++;
      const t0 = performance.now();
      try {
        const res = await postJson(url, bodies[i % bodies.length], { agent, timeoutMs: options.timeoutMs });
        statuses[i] = res.status;
        answers[i] = res.body;
      } catch (err) {
        statuses[i] = (err as { code?: string }).code ?? String(err);
      }
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, lane));
  const wallMs = performance.now() - start;
  if (agent) agent.destroy();
  const sorted = [...latencies].sort((a, b) => a - b);
  const answered = statuses.filter((s) => typeof s === "number").length;
  return { statuses, bodies: answers, latenciesMs: latencies, wallMs, throughput: (answered / wallMs) * 1000, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99) };
}
