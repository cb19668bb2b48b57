// The pruned student's recipe: step 1 in rounds (importance re-estimated on
// the model each round leaves), on a small seeded slice of CLINC150 with the
// shipped teacher and distilled student, so the whole recipe runs end to end.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { quietly, ready, tmpDir } from "../helpers/setup";
import { loadClinc } from "../../lib/data";
import { AutoModelForSequenceClassification } from "../../lib/models";
import { pruneStudent, structuredRounds } from "../../lib/workbook/pruningRecipe";
import { runDir, subset } from "../../lib/workbook/recipes";

test("structuredRounds spreads the heads and steps the FFN width down to the recipe's", () => {
  assert.deepEqual(structuredRounds(4, 1024, 512, 1), [{ heads: 4, ffnKeep: 512 }]);
  assert.deepEqual(structuredRounds(4, 1024, 512, 2), [{ heads: 2, ffnKeep: 768 }, { heads: 2, ffnKeep: 512 }]);
  assert.deepEqual(structuredRounds(3, 1024, 384, 4), [{ heads: 1, ffnKeep: 864 }, { heads: 1, ffnKeep: 704 }, { heads: 0, ffnKeep: 544 }, { heads: 1, ffnKeep: 384 }]);
  assert.equal(structuredRounds(5, 1024, 512, 3).reduce((a, r) => a + r.heads, 0), 5);
  assert.throws(() => structuredRounds(4, 1024, 512, 0), /structuredRounds must be an integer >= 1, got 0/);
  assert.throws(() => structuredRounds(4, 1024, 2048, 2), /ffnKeep must be an integer in \[1, 1024\] \(the student's FFN width\), got 2048/);
});

test("pruneStudent in two rounds: each round re-scores the model the last one left, removes its share, and the folder records every round", async () => {
  await ready;
  const clinc = loadClinc();
  const data = { train: subset(clinc.train, 512), validation: subset(clinc.validation, 128), test: subset(clinc.test, 128) };
  const out = path.join(tmpDir("pruned-rounds-"), "pruned");
  const runName = `test-pruned-rounds-${process.pid}`;
  const result = await quietly(() =>
    pruneStudent({ dataset: data, out, runName, teacher: "bert", heads: 3, ffnKeep: 512, structuredRounds: 2, vocabMinCount: 0, numTrainEpochs: 1, importanceBatches: 2, dataParallelWorkers: 1 }),
  );
  const { rounds, prunedHeads, intermediateSize, parameters } = result.steps;
  assert.equal(rounds.length, 2);
  const count = (h: Record<string, number[]>) => Object.values(h).reduce((a, hs) => a + hs.length, 0);
  // 3 heads in 2 rounds: 2 then 1 (rounded shares); FFN 1024 → 768 → 512.
  assert.deepEqual(rounds.map((r) => count(r.prunedHeads)), [2, 1]);
  assert.deepEqual(rounds.map((r) => r.intermediateSize), [768, 512]);
  assert.equal(count(prunedHeads), 3);
  // Round 2 scores the model round 1 left: the heads round 1 removed score 0 there, and round 1 scored every head.
  for (const [layer, hs] of Object.entries(rounds[0].prunedHeads)) for (const h of hs) assert.equal(rounds[1].headImportance[Number(layer)][h], 0, `layer ${layer} head ${h}`);
  assert.ok(rounds[0].headImportance.every((row) => row.every((v) => v > 0)));
  // Round 2 never picks a head round 1 removed.
  for (const [layer, hs] of Object.entries(rounds[1].prunedHeads)) for (const h of hs) assert.ok(!(rounds[0].prunedHeads[layer] ?? []).includes(h), `layer ${layer} head ${h} removed twice`);
  assert.ok(parameters.student > rounds[0].parameters && rounds[0].parameters > rounds[1].parameters);
  assert.equal(parameters.afterHeadsAndNeurons, rounds[1].parameters);
  assert.deepEqual(intermediateSize, { from: 1024, to: 512 });
  assert.ok(rounds.every((r) => r.validationAccuracy >= 0 && r.validationAccuracy <= 1));
  assert.equal(result.steps.step1ValidationAccuracy, rounds[1].validationAccuracy);
  // The saved folder is the last round's model, and says so.
  const saved = AutoModelForSequenceClassification.fromPretrained(out, { quiet: true });
  assert.equal(saved.spec.ffn, 512);
  assert.deepEqual(saved.config.pruned_heads, prunedHeads);
  assert.equal(saved.numParameters(), parameters.final);
  saved.dispose();
  const report = JSON.parse(fs.readFileSync(path.join(out, "training_report.json"), "utf8"));
  assert.equal(report.recipe.structuredRounds, 2);
  assert.equal(report.pruning.rounds.length, 2);
  assert.ok(fs.existsSync(result.onnx.quantized));
  // Each round trains in its own run folder, named after the run.
  for (const name of [`${runName}-step1`, `${runName}-step1-round2`]) {
    assert.ok(fs.existsSync(runDir(name)), name);
    fs.rmSync(runDir(name), { recursive: true, force: true });
  }
  result.model.dispose();
});
