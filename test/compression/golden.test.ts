import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { FIXTURES, ready, tmpDir } from "../helpers/setup";
import { GOLDEN_RUNS, GoldenResult, runGolden } from "../helpers/golden";

const golden = JSON.parse(fs.readFileSync(path.join(FIXTURES, "training_golden.json"), "utf8")) as Record<string, GoldenResult>;

// Recorded before the loss seam became one context object and a registry of
// loss specs (see test/fixtures/make_training_golden.ts): the refactored
// Trainer, DistillationTrainer (one thread and workers) and trainer.distill()
// must compute the same losses and end at the same weights.
for (const name of Object.keys(GOLDEN_RUNS)) {
  test(`same losses and weights as before the compression-core refactor: ${name}`, async () => {
    await ready;
    const expected = golden[name];
    assert.ok(expected, `no golden record for "${name}" (regenerate the fixture)`);
    const got = await runGolden(name, tmpDir());
    assert.equal(got.losses.length, expected.losses.length);
    got.losses.forEach((l, i) => assert.ok(Math.abs(l - expected.losses[i]) <= 1e-6 * Math.max(1, Math.abs(l)), `step ${i + 1}: ${l} vs ${expected.losses[i]}`));
    assert.ok(Math.abs(got.weightSum - expected.weightSum) <= 1e-4, `weight sum ${got.weightSum} vs ${expected.weightSum}`);
    assert.ok(Math.abs(got.weightAbsSum - expected.weightAbsSum) <= 1e-4, `weight |sum| ${got.weightAbsSum} vs ${expected.weightAbsSum}`);
  });
}
