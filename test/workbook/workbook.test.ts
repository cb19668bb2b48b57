import { test } from "node:test";
import assert from "node:assert/strict";
import { getSource } from "../../lib/workbook/printSource";
import { logger, setLogLevel, setLogSink, withLogLevel } from "../../lib/utils/log";
import { PerformanceBenchmark } from "../../lib/benchmark";
import { kdLoss, DistillationTrainer } from "../../lib/distillation";
import { Trainer } from "../../lib/training";

test("printSource finds functions, classes and methods (the implementation, not an overload) with their doc comments", () => {
  const fn = getSource(kdLoss);
  assert.equal(fn.file, "lib/distillation/loss.ts");
  assert.match(fn.source, /^\/\*\*[\s\S]*export function kdLoss\(/);
  assert.match(fn.source, /\n}$/);
  const method = getSource(PerformanceBenchmark, "computeAccuracy");
  assert.match(method.source, /^\/\*\*.*\*\/\nasync computeAccuracy\(\)/s);
  assert.ok(!method.source.includes("computeSize"), "stops at the method's closing brace");
  const override = getSource(DistillationTrainer, "lossSpec");
  assert.match(override.source, /^\/\*\*.*\*\/\noverride lossSpec\(\): LossSpec \{\n/s);
  // Interface members and overloads end in ";" and have no body: the class's implementation is returned.
  assert.match(getSource(Trainer, "computeLoss").source, /computeLoss\(ctx: ComputeLossContext\): ComputeLossOutput \{/);
  assert.throws(() => getSource(PerformanceBenchmark, "noSuchMethod"), /PerformanceBenchmark has no member "noSuchMethod"/);
  assert.throws(() => getSource("NoSuchThing"), /no function or class named "NoSuchThing"/);
});

test("the logger drops lines below its level and restores it", async () => {
  const lines: string[] = [];
  const prev = setLogSink({ out: (l) => lines.push(`out:${l}`), err: (l) => lines.push(`err:${l}`) });
  try {
    const before = setLogLevel("info");
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    await withLogLevel("error", () => {
      logger.warn("hidden");
      logger.error("e");
    });
    logger.info("back");
    setLogLevel("silent");
    logger.error("nothing");
    setLogLevel(before);
    assert.deepEqual(lines, ["out:i", "err:w", "err:e", "out:back"]);
    assert.throws(() => setLogLevel("loud" as never), /unknown log level "loud"/);
  } finally {
    setLogSink(prev === undefined ? undefined : prev);
  }
});
