// createServer(): POST /predict answers what pipeline() answers, every bad
// request is a 4xx with a JSON error (and the server keeps answering), the
// metrics move, micro-batching groups concurrent requests and routes each
// result back to its own request.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ready } from "../helpers/setup";
import { TINY_TEXTS, tinyModelFolder } from "../helpers/servingModels";
import { pipeline } from "../../lib/pipelines";
import { createServer, type ServedPipeline } from "../../lib/serving";
import { loadTest } from "../../tools/loadTest";
import type { InjectOptions } from "fastify";
import { setLogLevel } from "../../lib/utils/log";

const predict = (payload: unknown, headers: Record<string, string> = {}): InjectOptions => ({ method: "POST" as const, url: "/predict", payload: typeof payload === "string" ? payload : JSON.stringify(payload), headers: { "content-type": "application/json", ...headers } });

/** A counter of `/metrics` (summing the series whose labels contain every `labels` pair). */
function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? "").includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

test("POST /predict answers one { label, score } per text, equal to pipeline()'s, for a list and for a single text (a list of one)", async () => {
  await ready;
  const dir = tinyModelFolder();
  const pipe = pipeline("text-classification", dir);
  const app = createServer(pipe, { modelName: "tiny-bert" });
  const expected = (await pipe(TINY_TEXTS)).map((r) => r[0]);
  assert.equal(new Set(expected.map((p) => p.score)).size, TINY_TEXTS.length, "every text has its own score, so a mix-up would show");
  const list = await app.inject(predict({ inputs: TINY_TEXTS }));
  assert.equal(list.statusCode, 200, list.body);
  assert.deepEqual(list.json(), { model: "tiny-bert", predictions: expected });
  const one = await app.inject(predict({ inputs: TINY_TEXTS[2] }));
  assert.deepEqual(one.json(), { model: "tiny-bert", predictions: [expected[2]] });
  assert.equal((await app.inject({ method: "GET", url: "/health" })).json().status, "ok");
  assert.deepEqual((await app.inject({ method: "GET", url: "/ready" })).json(), { status: "ready", model: "tiny-bert" });
  await app.close();
  pipe.dispose();
});

test("the out-of-scope fallback saved with the model is applied, as pipeline() applies it (fallback: true)", async () => {
  await ready;
  const dir = tinyModelFolder({ labels: ["no", "yes", "oos"], oosThreshold: 0.99 });
  const pipe = pipeline("text-classification", dir);
  const app = createServer(pipe);
  const res = (await app.inject(predict({ inputs: TINY_TEXTS.slice(0, 4) }))).json();
  assert.deepEqual(res.predictions, (await pipe(TINY_TEXTS.slice(0, 4))).map((r) => r[0]));
  for (const p of res.predictions) assert.deepEqual([p.label, p.fallback], ["oos", true], JSON.stringify(p));
  await app.close();
  pipe.dispose();
});

test("an ONNX folder serves in fp32 and in int8 (dtype q8), with pipeline()'s predictions", async () => {
  await ready;
  const dir = tinyModelFolder({ onnx: true });
  for (const dtype of ["fp32", "q8"] as const) {
    const pipe = pipeline("text-classification", dir, { dtype });
    const app = createServer(pipe);
    const res = await app.inject(predict({ inputs: TINY_TEXTS }));
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().predictions, (await pipe(TINY_TEXTS)).map((r) => r[0]), dtype);
    await app.close();
    pipe.dispose();
  }
});

test("bad requests get a 4xx with { error: { code, message } }, counted by code, and the server keeps answering", async () => {
  await ready;
  const pipe = pipeline("text-classification", tinyModelFolder());
  const app = createServer(pipe, { maxTexts: 5, maxTextLength: 2000, bodyLimit: 4096 });
  const cases: [what: string, request: InjectOptions, status: number, code: string, message: RegExp][] = [
    ["malformed JSON", predict('{"inputs": ["a b"'), 400, "bad_json", /^the body is not valid JSON: .*JSON/],
    ["JSON with a trailing comma", predict('{"inputs": ["a b",]}'), 400, "bad_json", /^the body is not valid JSON: Unexpected token '\]'/],
    ["JSON with charset", predict({ inputs: "a b" }, { "content-type": "application/json; charset=utf-8" }), 200, "", /./],
    ["an empty body", predict(""), 400, "bad_json", /body is empty/],
    ["wrong content type", { method: "POST", url: "/predict", payload: "a b c", headers: { "content-type": "text/plain" } } as InjectOptions, 415, "unsupported_media_type", /Content-Type: application\/json \(got "text\/plain"\)/],
    ["a form body", { method: "POST", url: "/predict", payload: "inputs=a", headers: { "content-type": "application/x-www-form-urlencoded" } }, 415, "unsupported_media_type", /application\/x-www-form-urlencoded/],
    ["an oversized body", predict({ inputs: ["a ".repeat(3000)] }), 413, "body_too_large", /over the server's limit of 4096 bytes/],
    ["no inputs", predict({ text: "a b" }), 400, "invalid_body", /must have required property 'inputs'/],
    ["an unknown key", predict({ inputs: "a b", top_k: 3 }), 400, "invalid_body", /must NOT have additional properties/],
    ["a number", predict({ inputs: 42 }), 400, "invalid_body", /body\/inputs must be string,array/],
    ["null", predict({ inputs: null }), 400, "invalid_body", /body\/inputs must be string,array/],
    ["a JSON array body", predict(["a b"]), 400, "invalid_body", /body must be object/],
    ["an empty text", predict({ inputs: "" }), 400, "invalid_body", /body\/inputs must NOT have fewer than 1 characters/],
    ["a blank text", predict({ inputs: ["a", "   \n"] }), 400, "invalid_body", /inputs\[1\] is blank/],
    ["an empty list", predict({ inputs: [] }), 400, "invalid_body", /body\/inputs must NOT have fewer than 1 items/],
    ["a non-string item", predict({ inputs: ["a b", 7] }), 400, "invalid_body", /body\/inputs\/1 must be string/],
    ["a nested list", predict({ inputs: [["a b"]] }), 400, "invalid_body", /body\/inputs\/0 must be string/],
    ["too many texts", predict({ inputs: ["a", "b", "c", "d", "e", "f"] }), 422, "too_many_texts", /6 texts in one request; the server takes at most 5/],
    ["a 10,000-character text over the body limit", predict({ inputs: ["a", "b ".repeat(5000)] }), 413, "body_too_large", /4096 bytes/],
    ["a text the tokenizer cannot read", predict({ inputs: ["a b", "zzz"] }), 422, "unreadable_text", /inputs\[1\] has no token the tokenizer knows/],
    ["a lone surrogate", predict('{"inputs": "\\ud800"}'), 422, "unreadable_text", /inputs has no text the tokenizer can read \(only control, format or zero-width characters: U\+D800\)/],
    ["control characters only", predict({ inputs: ["a", "\u0000\u0001\u200b"] }), 422, "unreadable_text", /inputs\[1\] has no text the tokenizer can read/],
    ["a __proto__ key", predict('{"inputs": "a", "__proto__": {"x": 1}}'), 400, "invalid_body", /body must NOT have additional properties/],
    ["an unknown route", { method: "GET", url: "/predictions" }, 404, "not_found", /no route GET \/predictions/],
    ["GET /predict", { method: "GET", url: "/predict" }, 404, "not_found", /no route GET \/predict/],
  ];
  for (const [what, request, status, code, message] of cases) {
    const res = await app.inject(request);
    assert.equal(res.statusCode, status, `${what}: ${res.body}`);
    assert.match(res.headers["content-type"] as string, /^application\/json/, what);
    if (status === 200) continue;
    const body = res.json();
    assert.equal(body.error.code, code, `${what}: ${res.body}`);
    assert.match(body.error.message, message, what);
    // Still serving.
    assert.equal((await app.inject(predict({ inputs: "a b" }))).statusCode, 200, `after ${what}`);
  }
  const metrics = (await app.inject({ method: "GET", url: "/metrics" })).body;
  assert.equal(metricValue(metrics, "serve_errors_total", { code: "invalid_body" }), 11);
  assert.equal(metricValue(metrics, "serve_errors_total", { code: "bad_json" }), 3);
  assert.equal(metricValue(metrics, "serve_errors_total", { code: "body_too_large" }), 2);
  assert.equal(metricValue(metrics, "serve_requests_total", { route: "/predict", status: "200" }), cases.length, "one 200 after each bad request, and the charset case");
  await app.close();
  pipe.dispose();
});

test("a 10,000-character text is a 422 text_too_long under the default 2,000-character limit; under a raised limit the tokenizer truncates it", async () => {
  await ready;
  const pipe = pipeline("text-classification", tinyModelFolder());
  const long = "a b c d ".repeat(1250);
  assert.equal(long.length, 10_000);
  const strict = createServer(pipe);
  const refused = await strict.inject(predict({ inputs: long }));
  assert.equal(refused.statusCode, 422);
  assert.deepEqual(refused.json(), { error: { code: "text_too_long", message: "inputs has 10000 characters; the server takes at most 2000 per text" } });
  const lenient = createServer(pipe, { maxTextLength: 20_000 });
  const res = await lenient.inject(predict({ inputs: [long, "d e"] }));
  assert.equal(res.statusCode, 200, res.body);
  // Truncated to the tokenizer's 16 tokens: the same as the text's first 14 tokens.
  assert.deepEqual(res.json().predictions, [(await pipe("a b c d a b c d a b c d a b"))[0], (await pipe("d e"))[0]]);
  await strict.close();
  await lenient.close();
  pipe.dispose();
});

test("/metrics counts requests by route and status, latencies, texts per model call and in-flight requests", async () => {
  await ready;
  const pipe = pipeline("text-classification", tinyModelFolder());
  const app = createServer(pipe);
  for (let i = 0; i < 3; i++) await app.inject(predict({ inputs: TINY_TEXTS.slice(0, i + 1) }));
  await app.inject(predict("{"));
  const res = await app.inject({ method: "GET", url: "/metrics" });
  assert.equal(res.statusCode, 200);
  assert.match(res.headers["content-type"] as string, /^text\/plain; version=0\.0\.4/);
  const text = res.body;
  assert.equal(metricValue(text, "serve_requests_total", { route: "/predict", status: "200" }), 3);
  assert.equal(metricValue(text, "serve_requests_total", { route: "/predict", status: "400" }), 1);
  assert.equal(metricValue(text, "serve_request_duration_seconds_count", { route: "/predict" }), 4);
  assert.equal(metricValue(text, "serve_batch_texts_count"), 3);
  assert.equal(metricValue(text, "serve_batch_texts_sum"), 1 + 2 + 3);
  assert.equal(metricValue(text, "serve_texts_total"), 6);
  assert.equal(metricValue(text, "serve_errors_total", { code: "bad_json" }), 1);
  assert.equal(metricValue(text, "serve_in_flight_requests"), 1, "the /metrics request itself");
  await app.close();
  pipe.dispose();
});

test("/ready is 503 while the model loads and after it failed to load; /predict is 503 meanwhile; /health is 200 throughout", async () => {
  await ready;
  const pipe = pipeline("text-classification", tinyModelFolder());
  let resolve!: (p: ServedPipeline) => void;
  const app = createServer(new Promise<ServedPipeline>((r) => (resolve = r)));
  const loading = await app.inject({ method: "GET", url: "/ready" });
  assert.equal(loading.statusCode, 503);
  assert.deepEqual(loading.json(), { status: "loading", error: { code: "not_ready", message: "the model is loading" } });
  assert.equal((await app.inject(predict({ inputs: "a" }))).statusCode, 503);
  assert.equal((await app.inject({ method: "GET", url: "/health" })).statusCode, 200);
  resolve(pipe);
  await new Promise((r) => setImmediate(r));
  assert.equal((await app.inject({ method: "GET", url: "/ready" })).statusCode, 200);
  assert.equal((await app.inject(predict({ inputs: "a" }))).statusCode, 200);
  await app.close();

  const prev = setLogLevel("silent");
  const failed = createServer(Promise.reject(new Error("config.json: model_type missing")));
  await new Promise((r) => setImmediate(r));
  setLogLevel(prev);
  const res = await failed.inject({ method: "GET", url: "/ready" });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().error.message, "the model failed to load: config.json: model_type missing");
  assert.equal(failed.serving.loadError?.message, "config.json: model_type missing");
  await failed.close();
  pipe.dispose();
});

test("micro-batching: 20 concurrent requests share fewer pipeline calls, and each gets its own texts' predictions; a bad one fails alone", async () => {
  await ready;
  const pipe = pipeline("text-classification", tinyModelFolder());
  const calls: number[] = [];
  const counted = ((texts: readonly string[]) => {
    calls.push(texts.length);
    return pipe(texts);
  }) as ServedPipeline;
  const app = createServer(counted, { batching: { maxWaitMs: 20, maxBatch: 64 } });
  // Requests of 1 to 3 texts, each a different slice, so a mis-routed result would show.
  const requests = Array.from({ length: 20 }, (_, i) => TINY_TEXTS.slice(i % TINY_TEXTS.length, (i % TINY_TEXTS.length) + 1 + (i % 3)).concat(i % 3 === 0 ? [] : [TINY_TEXTS[(i * 7) % 10]]));
  const expected = await Promise.all(requests.map(async (texts) => (await pipe(texts)).map((r) => r[0])));
  calls.length = 0;
  const answers = await Promise.all(requests.map((texts) => app.inject(predict({ inputs: texts }))));
  answers.forEach((res, i) => assert.deepEqual(res.json().predictions, expected[i], `request ${i}`));
  assert.ok(calls.length < 20 && calls.length >= 1, `pipeline calls: ${JSON.stringify(calls)}`);
  assert.equal(calls.reduce((a, b) => a + b, 0), requests.flat().length, "every text ran once");
  assert.equal(app.serving.batcher?.calls, calls.length);
  // One request the pipeline refuses, among good ones: the batch fails, each request runs alone, only the bad one gets its error.
  const mixed = await Promise.all([predict({ inputs: ["a b"] }), predict({ inputs: ["c", "zzz"] }), predict({ inputs: "d e" })].map((r) => app.inject(r)));
  assert.deepEqual(mixed.map((r) => r.statusCode), [200, 422, 200]);
  assert.match(mixed[1].json().error.message, /inputs\[1\] has no token the tokenizer knows/);
  assert.deepEqual(mixed[2].json().predictions, [(await pipe("d e"))[0]]);
  const metrics = (await app.inject({ method: "GET", url: "/metrics" })).body;
  assert.equal(metricValue(metrics, "serve_batch_texts_count"), app.serving.batcher?.calls);
  await app.close();
  pipe.dispose();
});

test("200 concurrent connections on a real port are all answered, correctly, and the server stays up", async () => {
  await ready;
  const pipe = pipeline("text-classification", tinyModelFolder());
  const app = createServer(pipe, { batching: { maxWaitMs: 5, maxBatch: 32 } });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  const expected = (await pipe(TINY_TEXTS)).map((r) => r[0]);
  const bodies = TINY_TEXTS.map((t) => ({ inputs: t }));
  const run = await loadTest({ url: `${url}/predict`, bodies, requests: 200, concurrency: 200, newConnection: true });
  assert.deepEqual(run.statuses, new Array(200).fill(200));
  run.bodies.forEach((b, i) => assert.deepEqual((b as { predictions: unknown[] }).predictions, [expected[i % TINY_TEXTS.length]], `request ${i}`));
  const health = await fetch(`${url}/health`);
  assert.equal(health.status, 200);
  await app.serving.drain();
  assert.equal(app.serving.state, "draining");
  pipe.dispose();
});

test("drain(): /ready turns 503 at once, requests are still served during the grace period, and those already received are answered before it closes", async () => {
  await ready;
  const pipe = pipeline("text-classification", tinyModelFolder());
  const app = createServer(pipe, { batching: { maxWaitMs: 400, maxBatch: 100 }, drainGraceMs: 200 });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  const expected = (await pipe(TINY_TEXTS.slice(0, 5))).map((r) => r[0]);
  const load = loadTest({ url: `${url}/predict`, bodies: TINY_TEXTS.slice(0, 5).map((t) => ({ inputs: t })), requests: 5, concurrency: 5, newConnection: true });
  while ((await app.serving.metrics.inFlight.get()).values[0]?.value !== 5) await new Promise((r) => setTimeout(r, 10));
  assert.equal(app.serving.batcher?.pending.requests, 5, "all five wait in the micro-batch");
  const t0 = performance.now();
  const drained = app.serving.drain();
  assert.equal(app.serving.state, "draining");
  const readyNow = await fetch(`${url}/ready`);
  assert.equal(readyNow.status, 503);
  assert.deepEqual(await readyNow.json(), { status: "draining", error: { code: "not_ready", message: "the server is draining (shutting down)" } });
  const during = await fetch(`${url}/predict`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ inputs: TINY_TEXTS[0] }) });
  assert.equal(during.status, 200, "served during the grace period");
  const run = await load;
  assert.deepEqual(run.statuses, [200, 200, 200, 200, 200]);
  assert.deepEqual(run.bodies.map((b) => (b as { predictions: unknown[] }).predictions[0]), expected);
  await drained;
  // Closed once the batch was answered: no keep-alive connection held it up (Node's keep-alive timeout is 72 s).
  assert.ok(performance.now() - t0 < 5000, `closed after ${performance.now() - t0} ms`);
  await assert.rejects(fetch(`${url}/health`), "the port is closed");
  pipe.dispose();
});
