// Out-of-scope detectors (lib/oos) against scikit-learn / numpy reference
// figures (test/fixtures/oos_reference.py), and the detector file's round trip.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tmpDir } from "../helpers/setup";
import { OosDetector, auroc, detectorScores, energyScore, evaluateOosDetector, fitKnn, fitMahalanobis, fitOosDetectors, fprAtTpr, maxSoftmaxScore, oosRanking, tuneThreshold, OOS_DETECTOR_FILE } from "../../lib/oos";

interface Split { features: number[][]; labels: number[]; logits: number[][] }
const ref = JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/oos_reference.json"), "utf8")) as {
  oosId: number;
  train: Split;
  validation: Split;
  scores: Record<string, (number | null)[]>;
  ranking: Record<string, { auroc: number; fpr95: number }>;
  threshold: Record<string, { threshold: number | null; accuracy: number; baselineAccuracy: number }>;
};
const { oosId, train, validation } = ref;
const refScores = (name: string) => Float64Array.from(ref.scores[name], (v) => (v === null ? -Infinity : v));
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === -Infinity || b[i] === -Infinity) assert.equal(a[i], b[i], `${what}[${i}]`);
    else assert.ok(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
};

test("scores match the reference: max softmax and energy over in-scope columns, Mahalanobis (tied covariance), kNN on normalised features; oos-argmax rows are −Infinity", () => {
  const maha = new OosDetector("mahalanobis", null, { oosId, mahalanobis: fitMahalanobis(train.features, train.labels, { oosId }) });
  const knn = fitKnn(train.features, train.labels, { oosId, k: 5, bankSize: 10_000 });
  const cases: [string, OosDetector][] = [
    ["softmax", new OosDetector("softmax", null, { oosId })],
    ["energy1", new OosDetector("energy", null, { oosId, temperature: 1 })],
    ["energy2", new OosDetector("energy", null, { oosId, temperature: 2 })],
    ["mahalanobis", maha],
    ["knn1", new OosDetector("knn", null, { oosId, knn: { ...knn, k: 1 } })],
    ["knn5", new OosDetector("knn", null, { oosId, knn })],
  ];
  for (const [name, d] of cases) {
    const ours = detectorScores(d, validation);
    close(ours, refScores(name), 1e-4, name);
    const r = oosRanking(ours, validation.labels, oosId);
    assert.ok(Math.abs(r.auroc - ref.ranking[name].auroc) < 1e-9, `${name} AUROC ${r.auroc} vs ${ref.ranking[name].auroc}`);
    assert.ok(Math.abs(r.fpr95 - ref.ranking[name].fpr95) < 1e-9, `${name} FPR95 ${r.fpr95} vs ${ref.ranking[name].fpr95}`);
    const argmax = validation.logits.map((row) => row.indexOf(Math.max(...row)));
    const t = tuneThreshold(ours, argmax, validation.labels, oosId);
    const want = ref.threshold[name];
    assert.ok(Math.abs(t.accuracy - want.accuracy) < 1e-12 && Math.abs(t.baselineAccuracy - want.baselineAccuracy) < 1e-12, `${name}: ${JSON.stringify(t)} vs ${JSON.stringify(want)}`);
    if (want.threshold === null) assert.equal(t.threshold, null, name);
    else assert.ok(t.threshold !== null && Math.abs(t.threshold - want.threshold) <= 1e-4 * Math.max(1, Math.abs(want.threshold)), `${name}: threshold ${t.threshold} vs ${want.threshold}`);
  }
  // Softmax is the chapter's rule over every column; the oos id only sends rows the model calls oos to −Infinity.
  assert.equal(new OosDetector("softmax", null, { oosId: 3 }).score([3, 0, 0, 2.9]), maxSoftmaxScore([3, 0, 0, 2.9]));
  assert.equal(new OosDetector("softmax", null, { oosId: 3 }).score([1, 0, 0, 2.9]), -Infinity);
});

test("scores and metrics by hand: energy, AUROC with ties, FPR at 95% in-scope recall", () => {
  assert.ok(Math.abs(energyScore([2, 0, 0]) - Math.log(Math.exp(2) + 2)) < 1e-12);
  assert.ok(Math.abs(energyScore([2, 0, 0], 2) - 2 * Math.log(Math.E + 2)) < 1e-12);
  assert.ok(Math.abs(energyScore([1000, 0]) - 1000) < 1e-9, "stable for large logits");
  assert.throws(() => energyScore([1, 2], 0), /temperature must be a positive number, got 0/);
  assert.ok(Math.abs(auroc([0.9, 0.8, 0.3], [0.1, 0.4]) - 5 / 6) < 1e-12);
  assert.equal(auroc([1, 1], [1]), 0.5, "ties count half");
  assert.equal(auroc([2, 3], [-Infinity, 1]), 1);
  const inScope = Array.from({ length: 20 }, (_, i) => i + 1);
  // Keeping 19 of 20 in-scope rows puts the threshold at 2: of the oos rows only 30 is at or above it.
  assert.ok(Math.abs(fprAtTpr(inScope, [0.5, 1.5, 30]) - 1 / 3) < 1e-12);
  assert.equal(fprAtTpr(inScope, [0.5, 1.5, 30], 1), 2 / 3);
  assert.throws(() => auroc([], [1]), /needs in-scope and out-of-scope scores \(got 0 and 1\)/);
  assert.throws(() => auroc([NaN], [1]), /in-scope score 0 is NaN/);
  assert.throws(() => fprAtTpr([1], [1], 0), /tpr must be in \(0, 1\]/);
});

test("tuneThreshold: the cut that maximises accuracy, the highest on ties (the fallback preferred); null when no cut helps", () => {
  assert.deepEqual(tuneThreshold([0.9, 0.2, 0.8, 0.1], [0, 0, 1, 1], [0, 2, 1, 2], 2), { threshold: 0.5, accuracy: 1, baselineAccuracy: 0.5 });
  assert.deepEqual(tuneThreshold([0.9, 0.8], [0, 1], [0, 1], 2), { threshold: null, accuracy: 1, baselineAccuracy: 1 });
  // Rows the model already calls oos (−Infinity) never need a threshold.
  assert.deepEqual(tuneThreshold([-Infinity, 0.8], [2, 1], [2, 1], 2), { threshold: null, accuracy: 1, baselineAccuracy: 1 });
  // Equal scores are never split; a cut as good as none is taken (the tie goes to the fallback).
  assert.equal(tuneThreshold([0.5, 0.5, 0.9], [0, 0, 1], [2, 0, 1], 2).threshold, 0.7);
  // Two separate cuts reach the best accuracy: the higher one wins.
  assert.equal(tuneThreshold([0.1, 0.2, 0.3, 0.4, 0.9], [0, 0, 0, 0, 1], [2, 0, 2, 0, 1], 2).threshold, 0.35);
  assert.equal(tuneThreshold([0.1, 0.2, 0.3, 0.4, 0.9], [0, 0, 0, 0, 1], [2, 0, 2, 2, 1], 2).threshold, 0.65);
  assert.throws(() => tuneThreshold([NaN], [0], [0], 2), /score 0 is NaN/);
  assert.throws(() => tuneThreshold([1, 2], [0], [0, 1], 2), /2 scores, 1 predictions and 2 labels/);
});

test("fitOosDetectors chooses each detector's setting and threshold on validation, then the best detector; evaluateOosDetector reports its figures", () => {
  const fit = fitOosDetectors(train, validation, { oosId, knnK: [1, 5], knnBankSize: 10_000 });
  assert.deepEqual(Object.keys(fit.detectors), ["softmax", "energy", "mahalanobis", "knn"]);
  for (const v of fit.validation) assert.ok(v.accuracy >= ref.threshold.softmax.baselineAccuracy - 1e-12, `${v.kind} loses to no fallback on the set its threshold was tuned on`);
  const best = fit.validation.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  assert.equal(fit.best.kind, best.kind);
  assert.equal(fit.best.tunedOn, "validation");
  assert.equal(fit.detectors.mahalanobis.threshold !== null, ref.threshold.mahalanobis.threshold !== null);
  // kNN's k is the one with the better validation AUROC (ties: the first tried).
  const k = ref.ranking.knn5.auroc > ref.ranking.knn1.auroc ? 5 : 1;
  assert.equal(fit.detectors.knn.params.knn!.k, k);
  const e = evaluateOosDetector(fit.detectors.mahalanobis, validation, oosId);
  assert.ok(Math.abs(e.auroc! - ref.ranking.mahalanobis.auroc) < 1e-9);
  assert.ok(Math.abs(e.accuracy - ref.threshold.mahalanobis.accuracy) < 1e-12);
  assert.equal(e.bytes, (6 * 6 + 3 * 6 + 3) * 4);
  // Without features only softmax and energy are tried; without oos rows in validation nothing can be tuned.
  assert.deepEqual(Object.keys(fitOosDetectors({ ...train, features: undefined }, { ...validation, features: undefined }, { oosId }).detectors), ["softmax", "energy"]);
  assert.throws(() => fitOosDetectors(train, { ...validation, labels: validation.labels.map((y) => (y === oosId ? 0 : y)) }, { oosId }), /validation rows have no out-of-scope row/);
});

test("fitting errors name the problem", () => {
  assert.throws(() => fitMahalanobis([[1, 2]], [0, 1]), /1 feature rows for 2 labels/);
  assert.throws(() => fitMahalanobis([[1, 2], [1, NaN]], [0, 1]), /feature row 1 has a non-finite value \(NaN\) at 1/);
  assert.throws(() => fitMahalanobis([[1, 2], [3]], [0, 1]), /feature row 1 has 1 values, row 0 has 2/);
  assert.throws(() => fitMahalanobis([[1, 2], [3, 4]], [3, 3], { oosId: 3 }), /needs at least 2 in-scope rows, got 0/);
  // Constant features (a dead ReLU) stay invertible through the ridge; without it they are an error naming the dimension.
  const flat = [[1, 0], [2, 0], [3, 0], [4, 0]];
  assert.ok(Number.isFinite(new OosDetector("mahalanobis", null, { mahalanobis: fitMahalanobis(flat, [0, 0, 1, 1]) }).score([0, 0], [1, 0])));
  assert.throws(() => fitMahalanobis(flat, [0, 0, 1, 1], { shrinkage: 0 }), /not positive definite at dimension 1/);
  assert.throws(() => fitKnn([[1, 0]], [0], { k: 2 }), /k = 2 needs at least 2 in-scope rows, got 1/);
  assert.throws(() => fitKnn([[1, 0]], [0], { bankSize: 0 }), /bankSize must be a positive integer, got 0/);
  // The bank is a seeded sample: the same seed, the same bank.
  const rows = Array.from({ length: 50 }, (_, i) => [Math.cos(i), Math.sin(i)]);
  const labels = rows.map(() => 0);
  assert.deepEqual(fitKnn(rows, labels, { bankSize: 10, seed: 3 }).bank, fitKnn(rows, labels, { bankSize: 10, seed: 3 }).bank);
  assert.notDeepEqual(fitKnn(rows, labels, { bankSize: 10, seed: 3 }).bank, fitKnn(rows, labels, { bankSize: 10, seed: 4 }).bank);
  assert.equal(fitKnn(rows, labels, { bankSize: 10 }).bank.length, 20);
  const d = new OosDetector("knn", null, { knn: fitKnn(rows, labels, { k: 1 }) });
  assert.throws(() => d.score([1, 0]), /needs the model's pooled features/);
  assert.throws(() => d.score([1, 0], [1, 0, 0]), /fitted on 2 features, got 3/);
  assert.throws(() => new OosDetector("softmax", 1.5), /a softmax threshold is a probability in \[0, 1\], got 1.5/);
  assert.throws(() => new OosDetector("cosine" as never, 0), /unknown kind "cosine"/);
  assert.throws(() => new OosDetector("mahalanobis", 0), /needs its fitted means and whitening/);
});

test("a detector saved in a model folder loads back equal, its file checksummed; a corrupt or missing file or a bad record is an error", () => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ model_type: "distilbert", task_specific_params: { "text-classification": { oos_threshold: 0.3, oos_label: "oos" } } }));
  assert.equal(OosDetector.fromPretrained(dir), undefined);
  const fit = fitOosDetectors(train, validation, { oosId, knnK: [5], knnBankSize: 10_000 });
  for (const kind of ["mahalanobis", "knn", "energy"] as const) {
    const d = fit.detectors[kind];
    d.save(dir);
    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    assert.equal(config.task_specific_params["text-classification"].oos_threshold, 0.3, "the softmax fallback stays");
    assert.equal(config.task_specific_params["text-classification"].oos_detector.kind, kind);
    assert.equal(fs.existsSync(path.join(dir, OOS_DETECTOR_FILE)), d.needsFeatures, "a detector without tensors leaves no file");
    if (d.needsFeatures) assert.ok(config.checksums[OOS_DETECTOR_FILE].sha256);
    const back = OosDetector.fromPretrained(dir)!;
    assert.equal(back.kind, kind);
    assert.equal(back.threshold, d.threshold);
    assert.deepEqual(detectorScores(back, validation), detectorScores(d, validation));
  }
  fit.detectors.mahalanobis.save(dir);
  const file = path.join(dir, OOS_DETECTOR_FILE);
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 3] ^= 0x40;
  fs.writeFileSync(file, bytes);
  assert.throws(() => OosDetector.fromPretrained(dir), /oos_detector\.safetensors.*(checksum|SHA-256|does not match)/i);
  fs.rmSync(file);
  assert.throws(() => OosDetector.fromPretrained(dir), /names an out-of-scope detector file oos_detector\.safetensors that is missing/);
  const bad = (d: unknown) => OosDetector.fromPretrained(dir, { task_specific_params: { "text-classification": { oos_detector: d } } });
  assert.throws(() => bad({ kind: "energy", threshold: "x" }), /needs a finite threshold or null/);
  assert.throws(() => bad({ kind: "magic", threshold: 1 }), /unknown kind/);
  assert.throws(() => bad({ kind: "knn", threshold: 1 }), /needs the file of its tensors/);
  assert.throws(() => new OosDetector("energy", 1).save(path.join(dir, "nowhere")), /config\.json does not exist \(save the model first\)/);
});
