// TrainingArguments validation (lib/training/trainingArguments.ts): errors print the value given.
import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveTrainingArguments } from "../../lib/training/trainingArguments";

test("a non-finite TrainingArguments value is printed as NaN or Infinity, not as JSON's null", () => {
  const cases: [string, number, RegExp][] = [
    ["learningRate", NaN, /TrainingArguments\.learningRate must be a positive number, got NaN$/],
    ["numTrainEpochs", Infinity, /TrainingArguments\.numTrainEpochs must be a positive number, got Infinity$/],
    ["warmupRatio", NaN, /TrainingArguments\.warmupRatio must be a number in \[0, 1\), got NaN$/],
    ["perDeviceTrainBatchSize", -Infinity, /TrainingArguments\.perDeviceTrainBatchSize must be a positive integer, got -Infinity$/],
    ["seed", NaN, /TrainingArguments\.seed must be a finite number, got NaN$/],
    ["weightDecay", Infinity, /TrainingArguments\.weightDecay must be a finite number >= 0, got Infinity$/],
    ["maxGradNorm", NaN, /TrainingArguments\.maxGradNorm must be a finite number >= 0 \(0 disables clipping\), got NaN$/],
    ["maxGradNorm", Infinity, /TrainingArguments\.maxGradNorm must be a finite number >= 0 \(0 disables clipping\), got Infinity$/],
  ];
  for (const [field, value, error] of cases) {
    assert.throws(() => resolveTrainingArguments({ outputDir: "x", [field]: value }), error, `${field}: ${value}`);
  }
  // Other values keep their JSON form (strings quoted), so "1e-3" and 1e-3 read differently.
  assert.throws(() => resolveTrainingArguments({ outputDir: "x", learningRate: "1e-3" as unknown as number }), /learningRate must be a positive number, got "1e-3"$/);
  assert.throws(() => resolveTrainingArguments({ outputDir: "x", evaluationStrategy: null as unknown as "no" }), /evaluationStrategy must be "no", "epoch" or "steps", got null$/);
  assert.equal(resolveTrainingArguments({ outputDir: "x", weightDecay: 0.01, maxGradNorm: 0 }).maxGradNorm, 0);
});
