// npm run serve -- <model folder> [options]: serves a text-classification model
// folder over HTTP (lib/serving: POST /predict, GET /health, /ready, /metrics).
// Exits 1 with the loader's error, before listening, if the folder fails to load;
// SIGTERM drains in-flight requests and exits 0.
import { parseArgs } from "node:util";
import { serveModel } from "../lib/serving";

const USAGE = `usage: npm run serve -- <model folder> [--port 8080] [--host 127.0.0.1] [--workers 1] [--dtype fp32|q8]
  [--batch-wait-ms N --max-batch 32] [--max-texts 64] [--max-text-length 2000] [--body-limit 1048576] [--drain-grace-ms 0] [--name <model name>]
  --batch-wait-ms turns micro-batching on: concurrent requests' texts share one model call, closed after N ms or --max-batch texts.
  SIGTERM drains: /ready turns 503, requests are still served for --drain-grace-ms, then every request received is answered and it exits 0.`;

function int(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(`--${name} must be a whole number, got "${value}"\n${USAGE}`);
  return n;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      workers: { type: "string" },
      dtype: { type: "string" },
      "batch-wait-ms": { type: "string" },
      "max-batch": { type: "string" },
      "max-texts": { type: "string" },
      "max-text-length": { type: "string" },
      "body-limit": { type: "string" },
      "drain-grace-ms": { type: "string" },
      name: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length !== 1) throw new Error(`pass exactly one model folder (got ${positionals.length})\n${USAGE}`);
  const dtype = values.dtype;
  if (dtype !== undefined && dtype !== "fp32" && dtype !== "q8") throw new Error(`--dtype must be fp32 or q8, got "${dtype}"\n${USAGE}`);
  const wait = int("batch-wait-ms", values["batch-wait-ms"]);
  const maxBatch = int("max-batch", values["max-batch"]);
  if (maxBatch !== undefined && wait === undefined) throw new Error(`--max-batch needs --batch-wait-ms (micro-batching is off without it)\n${USAGE}`);
  const workers = int("workers", values.workers) ?? 1;
  await serveModel({
    folder: positionals[0],
    dtype,
    port: int("port", values.port) ?? 8080,
    host: values.host ?? "127.0.0.1",
    workers,
    modelName: values.name,
    maxTexts: int("max-texts", values["max-texts"]),
    maxTextLength: int("max-text-length", values["max-text-length"]),
    bodyLimit: int("body-limit", values["body-limit"]),
    drainGraceMs: int("drain-grace-ms", values["drain-grace-ms"]),
    batching: wait === undefined ? false : { maxWaitMs: wait, maxBatch: maxBatch ?? 32 },
    onListening: (url) => console.log(`model server: ${positionals[0]} listening on ${url} (${workers} worker${workers === 1 ? "" : "s"}, micro-batching ${wait === undefined ? "off" : `${wait} ms / ${maxBatch ?? 32} texts`}); SIGTERM drains and exits`),
  });
}

main().catch((err) => {
  console.error(`model server: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
