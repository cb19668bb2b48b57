// npm run serve:load -- <server url> [--duration 10] [--concurrency 32] [--texts-per-request 1]
// Load-tests a running model server (npm run serve) with autocannon (lib/serving's
// runLoad): POST /predict for --duration seconds at --concurrency connections,
// then prints throughput, p50/p90/p99 latency, errors and the status counts.
import { parseArgs } from "node:util";
import { runLoad } from "../lib/serving";

const USAGE = "usage: npm run serve:load -- <server url, e.g. http://127.0.0.1:8080> [--duration 10] [--concurrency 32] [--texts-per-request 1]";

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
    options: { duration: { type: "string" }, concurrency: { type: "string" }, "texts-per-request": { type: "string" } },
  });
  if (positionals.length !== 1) throw new Error(USAGE);
  const duration = Number(values.duration ?? 10);
  const concurrency = Number(values.concurrency ?? 32);
  const perRequest = Number(values["texts-per-request"] ?? 1);
  if (!(Number.isFinite(duration) && duration > 0)) throw new Error(`--duration must be a number of seconds > 0, got ${values.duration}\n${USAGE}`);
  for (const [name, v] of [["concurrency", concurrency], ["texts-per-request", perRequest]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`--${name} must be a whole number >= 1, got ${v}\n${USAGE}`);
  }
  const bodies = QUERIES.map((_, i) => ({ inputs: perRequest === 1 ? QUERIES[i] : Array.from({ length: perRequest }, (_, j) => QUERIES[(i + j) % QUERIES.length]) }));
  const url = `${positionals[0].replace(/\/$/, "")}/predict`;
  // One second of warm-up, not counted.
  await runLoad({ url, bodies, concurrency, durationS: 1 });
  const r = await runLoad({ url, bodies, concurrency, durationS: duration });
  console.log(`${r.durationS.toFixed(1)} s at concurrency ${concurrency} (${perRequest} text${perRequest === 1 ? "" : "s"} per request): ${r.reqPerSec.toFixed(1)} req/s, p50 ${r.p50Ms} ms, p90 ${r.p90Ms} ms, p99 ${r.p99Ms} ms; ${r.errors} errors; statuses ${JSON.stringify(r.statusCodes)}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
