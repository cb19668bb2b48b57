// lib/serving/loadTest.ts: autocannon runs against a server, the server CLI
// as a child process (cold start, RSS, clean SIGTERM exit), and the
// throughput-within-a-p99-bound rule.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import Fastify from "fastify";
import { ready } from "../helpers/setup";
import { TINY_TEXTS, tinyModelFolder } from "../helpers/servingModels";
import { loadTestServer, processTreeRssMb, runLoad, startServerProcess, throughputWithinP99 } from "../../lib/serving";

test("runLoad counts 2xx and 4xx answers, and network errors, separately", async () => {
  const app = Fastify();
  let n = 0;
  app.post("/predict", async (req, reply) => (++n % 2 === 0 ? reply.code(422).send({ error: "no" }) : { ok: true }));
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  try {
    const r = await runLoad({ url: `${url}/predict`, bodies: [{ inputs: "a" }, { inputs: "b" }], concurrency: 2, durationS: 0.5 });
    assert.ok(r.ok > 10, `ok ${r.ok}`);
    assert.ok(r.non2xx > 10, `non2xx ${r.non2xx}`);
    assert.ok(Math.abs(r.ok - r.non2xx) <= 2, `every second request is a 422: ok ${r.ok}, non2xx ${r.non2xx}`);
    assert.equal(r.statusCodes["422"], r.non2xx);
    assert.equal(r.statusCodes["200"], r.ok);
    assert.equal(r.errors, 0);
    assert.ok(r.reqPerSec > 0 && Math.abs(r.reqPerSec - r.ok / r.durationS) < 1e-9);
    assert.ok(r.p50Ms <= r.p90Ms && r.p90Ms <= r.p99Ms, JSON.stringify(r));
  } finally {
    await app.close();
  }
  // Nothing listens any more: every request is an error and no latency is reported.
  const down = await runLoad({ url: `${url}/predict`, bodies: [{ inputs: "a" }], concurrency: 1, durationS: 0.3 });
  assert.equal(down.ok, 0);
  assert.ok(down.errors > 0, JSON.stringify(down));
  assert.ok(Number.isNaN(down.p99Ms));
  assert.equal(throughputWithinP99([down], 1e9), 0);
});

test("runLoad rejects bad options with the option's name", () => {
  assert.throws(() => runLoad({ url: "http://127.0.0.1:1/predict", bodies: [], concurrency: 1, durationS: 1 }), /pass at least one body/);
  assert.throws(() => runLoad({ url: "http://127.0.0.1:1/predict", bodies: [{}], concurrency: 0, durationS: 1 }), /concurrency must be a whole number >= 1, got 0/);
  assert.throws(() => runLoad({ url: "http://127.0.0.1:1/predict", bodies: [{}], concurrency: 1, durationS: -1 }), /durationS must be a number > 0, got -1/);
});

test("throughputWithinP99 picks the best run within the bound that had no errors", () => {
  const runs = [
    { reqPerSec: 50, p99Ms: 30, errors: 0, non2xx: 0 },
    { reqPerSec: 80, p99Ms: 45, errors: 0, non2xx: 0 },
    { reqPerSec: 120, p99Ms: 49, errors: 1, non2xx: 0 },
    { reqPerSec: 150, p99Ms: 200, errors: 0, non2xx: 0 },
  ];
  assert.equal(throughputWithinP99(runs, 50), 80);
  assert.equal(throughputWithinP99(runs, 300), 150);
  assert.equal(throughputWithinP99(runs, 10), 0);
});

test("processTreeRssMb reads this process's resident memory", () => {
  const mb = processTreeRssMb(process.pid);
  assert.ok(mb > 10 && mb < 100_000, `${mb} MB`);
});

test("loadTestServer on a tiny model folder: cold start, RSS, runs per concurrency, exit 0 on SIGTERM", async () => {
  await ready;
  const folder = tinyModelFolder();
  const r = await loadTestServer({ folder, bodies: TINY_TEXTS.map((t) => ({ inputs: t })), concurrencies: [1, 4], durationS: 0.5, warmupS: 0.2 });
  assert.equal(r.name, "tiny-bert");
  assert.equal(r.dtype, "tfjs");
  assert.equal(r.workers, 1);
  assert.ok(r.coldStartMs > 0, `cold start ${r.coldStartMs}`);
  assert.ok(r.rssIdleMb > 10 && r.rssAfterMb > 10, `rss ${r.rssIdleMb} → ${r.rssAfterMb}`);
  assert.equal(r.rssPerWorkerMb, r.rssAfterMb);
  assert.deepEqual(r.runs.map((x) => x.concurrency), [1, 4]);
  for (const run of r.runs) {
    assert.ok(run.ok > 0, JSON.stringify(run));
    assert.equal(run.errors, 0);
    assert.equal(run.non2xx, 0);
    assert.ok(run.p99Ms > 0);
  }
  assert.equal(r.exitCode, 0);
});

test("startServerProcess: a folder that fails to load is an error carrying the server's message; a texts limit answers 4xx under load", async () => {
  await ready;
  await assert.rejects(startServerProcess({ folder: tinyModelFolder(), dtype: "q8", timeoutMs: 60_000 }), /exited \(code 1[\s\S]*no ONNX file for dtype "q8"/);
  const server = await startServerProcess({ folder: tinyModelFolder(), args: ["--max-text-length", "3"], probe: { inputs: "a" } });
  try {
    assert.ok(server.coldStartMs > 0);
    const run = await runLoad({ url: `${server.url}/predict`, bodies: [{ inputs: "a b c d e f" }], concurrency: 2, durationS: 0.3 });
    assert.equal(run.ok, 0);
    assert.ok(run.non2xx > 0 && Object.keys(run.statusCodes).every((c) => c.startsWith("4")), JSON.stringify(run.statusCodes));
  } finally {
    assert.equal((await server.stop()).code, 0);
  }
});

test("startServerProcess with 2 cluster workers: RSS covers the primary and both workers", async () => {
  await ready;
  const server = await startServerProcess({ folder: tinyModelFolder(), workers: 2, probe: { inputs: TINY_TEXTS[0] } });
  try {
    const own = Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${server.pid}/status`, "utf8"))![1]) / 1024;
    const kids = fs.readdirSync(`/proc/${server.pid}/task`).flatMap((t) => fs.readFileSync(`/proc/${server.pid}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean));
    assert.equal(kids.length, 2, `workers: ${kids.join(", ")}`);
    const total = server.rssMb();
    assert.ok(total > own * 1.5, `tree ${total} MB vs primary ${own} MB`);
  } finally {
    assert.equal((await server.stop()).code, 0);
  }
});
