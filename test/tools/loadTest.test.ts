// tools/loadTest.ts: N requests through autocannon, each request's status and
// answer kept in the order sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import Fastify from "fastify";
import { loadTest } from "../../tools/loadTest";

test("loadTest keeps each request's status and answer in the order sent, with more requests than connections", async () => {
  const app = Fastify();
  app.post("/echo", async (req, reply) => {
    const { n } = req.body as { n: number };
    return n % 7 === 3 ? reply.code(400).send({ n }) : { n };
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  try {
    const bodies = Array.from({ length: 10 }, (_, n) => ({ n }));
    const r = await loadTest({ url: `${url}/echo`, bodies, requests: 53, concurrency: 4 });
    assert.equal(r.statuses.length, 53);
    r.bodies.forEach((b, i) => assert.deepEqual(b, { n: i % 10 }, `request ${i}`));
    r.statuses.forEach((s, i) => assert.equal(s, (i % 10) % 7 === 3 ? 400 : 200, `request ${i}`));
    assert.ok(r.latenciesMs.every((ms) => ms > 0), "every request timed");
    assert.ok(r.throughput > 0 && r.p50Ms <= r.p99Ms);
    const one = await loadTest({ url: `${url}/echo`, bodies, requests: 6, concurrency: 6, newConnection: true });
    assert.deepEqual(one.bodies, bodies.slice(0, 6));
  } finally {
    await app.close();
  }
  const down = await loadTest({ url: `${url}/echo`, bodies: [{ n: 1 }], requests: 2, concurrency: 2, timeoutMs: 2000 });
  assert.deepEqual(down.statuses, ["error", "error"]);
});

test("loadTest refuses options it cannot honour, naming them", async () => {
  await assert.rejects(loadTest({ url: "http://127.0.0.1:1/x", bodies: [{}], requests: 10, concurrency: 2, newConnection: true }), /newConnection sends one request per connection, so it needs requests <= concurrency \(got 10 requests at concurrency 2\)/);
  await assert.rejects(loadTest({ url: "http://127.0.0.1:1/x", bodies: [], requests: 1, concurrency: 1 }), /pass at least one body/);
  await assert.rejects(loadTest({ url: "http://127.0.0.1:1/x", bodies: [{}], requests: 0, concurrency: 1 }), /requests must be a whole number >= 1, got 0/);
});
