// npm run serve:load -- <server url> [--requests 200] [--concurrency 32] [--texts-per-request 1] [--new-connections]
// Sends POST /predict requests to a running model server (npm run serve) and
// prints throughput, p50 and p99 latency and the status counts.
import { parseArgs } from "node:util";
import { loadTest } from "../tools/loadTest";

const USAGE = "usage: npm run serve:load -- <server url, e.g. http://127.0.0.1:8080> [--requests 200] [--concurrency 32] [--texts-per-request 1] [--new-connections]";

/** CLINC150-style queries, in scope and out of scope. */
const QUERIES = [
  "what is my bank balance",
  "transfer $200 from checking to savings",
  "how do i change my pin number",
  "i need to rent a car in paris next week",
  "book a flight from boston to denver",
  "what's the weather going to be like tomorrow",
  "set an alarm for 6 am",
  "how many calories are in a banana",
  "please remind me to call mom at 5",
  "what is the meaning of life",
  "can you tell me a joke",
  "my card was declined at the store, why",
  "how long will it take to get my new credit card",
  "what's the exchange rate from dollars to euros",
  "play some jazz music",
  "who won the super bowl in 1998",
];

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { requests: { type: "string" }, concurrency: { type: "string" }, "texts-per-request": { type: "string" }, "new-connections": { type: "boolean" } },
  });
  if (positionals.length !== 1) throw new Error(USAGE);
  const requests = Number(values.requests ?? 200);
  const concurrency = Number(values.concurrency ?? 32);
  const perRequest = Number(values["texts-per-request"] ?? 1);
  for (const [name, v] of [["requests", requests], ["concurrency", concurrency], ["texts-per-request", perRequest]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`--${name} must be a whole number >= 1, got ${v}\n${USAGE}`);
  }
  const bodies = QUERIES.map((_, i) => ({ inputs: perRequest === 1 ? QUERIES[i] : Array.from({ length: perRequest }, (_, j) => QUERIES[(i + j) % QUERIES.length]) }));
  const url = `${positionals[0].replace(/\/$/, "")}/predict`;
  // One warm-up round, not counted.
  await loadTest({ url, bodies, requests: concurrency, concurrency });
  const r = await loadTest({ url, bodies, requests, concurrency, newConnection: values["new-connections"] });
  const counts: Record<string, number> = {};
  for (const s of r.statuses) counts[String(s)] = (counts[String(s)] ?? 0) + 1;
  console.log(`${requests} requests (${perRequest} text${perRequest === 1 ? "" : "s"} each) at concurrency ${concurrency}: ${r.throughput.toFixed(1)} req/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, wall ${(r.wallMs / 1000).toFixed(2)} s; statuses ${JSON.stringify(counts)}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
