// MicroBatcher: concurrent submissions share one call, closed by time or by
// size; results go back to the right caller; a failing batch is retried per
// request so one bad request fails alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MicroBatcher } from "../../lib/serving";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A run() that records its calls and answers each item with its double (after a short async step). */
function recorder(fail?: (items: readonly number[]) => boolean) {
  const calls: number[][] = [];
  const run = async (items: readonly number[]) => {
    calls.push([...items]);
    await sleep(1);
    if (fail?.(items)) throw new Error(`bad items ${items.join(",")}`);
    return items.map((x) => x * 2);
  };
  return { calls, run };
}

test("submissions within maxWaitMs share one call, in arrival order, and each caller gets its own slice", async () => {
  const { calls, run } = recorder();
  const b = new MicroBatcher(run, { maxWaitMs: 20, maxBatch: 100 });
  const out = await Promise.all([b.submit([1]), b.submit([2, 3]), b.submit([4]), b.submit([5, 6, 7])]);
  assert.deepEqual(out, [[2], [4, 6], [8], [10, 12, 14]]);
  assert.deepEqual(calls, [[1, 2, 3, 4, 5, 6, 7]]);
  assert.equal(b.calls, 1);
});

test("a batch closes at maxBatch items without waiting; a request bigger than maxBatch runs as its own call", async () => {
  const { calls, run } = recorder();
  const b = new MicroBatcher(run, { maxWaitMs: 10_000, maxBatch: 3 });
  const t0 = performance.now();
  const out = await Promise.all([b.submit([1, 2]), b.submit([3]), b.submit([4, 5, 6, 7])]);
  assert.ok(performance.now() - t0 < 5000, "did not wait for maxWaitMs");
  assert.deepEqual(out, [[2, 4], [6], [8, 10, 12, 14]]);
  assert.deepEqual(calls, [[1, 2, 3], [4, 5, 6, 7]]);
});

test("what arrives while a call runs forms the next batch, run when that call ends", async () => {
  const { calls, run } = recorder();
  const b = new MicroBatcher(async (items: readonly number[]) => {
    const r = await run(items);
    await sleep(30);
    return r;
  }, { maxWaitMs: 0, maxBatch: 10 });
  const first = b.submit([1]);
  await sleep(10); // the first call is running
  const later = [b.submit([2]), b.submit([3])];
  assert.deepEqual(await Promise.all([first, ...later]), [[2], [4], [6]]);
  assert.deepEqual(calls, [[1], [2, 3]]);
});

test("when a batch fails, each of its requests runs alone: only the bad one is rejected, with its own error", async () => {
  const { calls, run } = recorder((items) => items.includes(13));
  const b = new MicroBatcher(run, { maxWaitMs: 10, maxBatch: 10, onBatch: (n) => sizes.push(n) });
  const sizes: number[] = [];
  const results = await Promise.allSettled([b.submit([1]), b.submit([13, 2]), b.submit([3])]);
  assert.deepEqual(results[0], { status: "fulfilled", value: [2] });
  assert.equal(results[1].status, "rejected");
  assert.match(String((results[1] as PromiseRejectedResult).reason), /bad items 13,2/);
  assert.deepEqual(results[2], { status: "fulfilled", value: [6] });
  assert.deepEqual(calls, [[1, 13, 2, 3], [1], [13, 2], [3]]);
  assert.deepEqual(sizes, [4, 1, 2, 1]);
  // The batcher still works afterwards.
  assert.deepEqual(await b.submit([5]), [10]);
});

test("a run() that returns the wrong number of results rejects its callers; bad options are errors", async () => {
  const b = new MicroBatcher(async (items: readonly number[]) => items.slice(1), { maxWaitMs: 0, maxBatch: 4 });
  await assert.rejects(b.submit([1, 2]), /run\(\) returned 1 results for 2 items/);
  assert.deepEqual(await b.submit([]), []);
  assert.throws(() => new MicroBatcher(async () => [], { maxWaitMs: -1, maxBatch: 4 }), /maxWaitMs must be a number >= 0, got -1/);
  assert.throws(() => new MicroBatcher(async () => [], { maxWaitMs: 1, maxBatch: 0 }), /maxBatch must be an integer >= 1, got 0/);
});
