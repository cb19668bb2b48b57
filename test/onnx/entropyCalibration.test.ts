// Histogram calibration against ONNX Runtime's own calibrate.py: the ranges in
// test/fixtures/entropy_reference.json were computed by ORT's HistogramCollector
// itself (test/fixtures/make_entropy_reference.py loads it from ORT's published
// source and runs it on these tensors), not by a copy of its algorithm.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { FIXTURES } from "../helpers/setup";
import { readJson } from "../../lib/utils/fs";
import { TensorHistogram, entropyRange, percentileRange } from "../../lib/onnx";

type Pair = [number, number];
interface OrtCase {
  percentile_symmetric: Pair;
  percentile_99_symmetric: Pair;
  percentile_99_asymmetric: Pair;
  percentile_75_symmetric: Pair;
  percentile_75_asymmetric: Pair;
  entropy_default: Pair;
  entropy_2048_128: Pair;
  entropy_512_64: Pair;
}
const ORT = readJson<{ onnxruntime_version: string; cases: OrtCase[]; more: { values: number[]; entropy: Record<string, Pair> }[] }>(path.join(FIXTURES, "entropy_reference.json"));
const TENSORS = readJson<{ onnx: { histogram: { values: number[] }[] } }>(path.join(FIXTURES, "quantization_reference.json")).onnx.histogram;

function histogram(values: Float32Array, mode: "value" | "absolute", bins: number): TensorHistogram {
  const h = new TensorHistogram(mode, bins);
  h.observe(values);
  h.add(values);
  return h;
}
const pair = (r: { lowest: number; highest: number }): Pair => [r.lowest, r.highest];

test("the ORT fixture covers every tensor the test feeds (3 tensors, 8 ranges each)", () => {
  assert.equal(ORT.cases.length, TENSORS.length);
  assert.equal(ORT.cases.length, 3);
  for (const c of ORT.cases) assert.equal(Object.keys(c).length, 8);
});

for (let i = 0; i < TENSORS.length; i++) {
  const values = Float32Array.from(TENSORS[i].values);
  const ort = ORT.cases[i];
  test(`tensor ${i}: Entropy ranges equal ORT ${ORT.onnxruntime_version}'s get_entropy_threshold (128/128, 2048/128, 512/64 bins)`, () => {
    assert.deepEqual(pair(entropyRange(histogram(values, "value", 128), 128)), ort.entropy_default);
    assert.deepEqual(pair(entropyRange(histogram(values, "value", 2048), 128)), ort.entropy_2048_128);
    assert.deepEqual(pair(entropyRange(histogram(values, "value", 512), 64)), ort.entropy_512_64);
  });
  test(`tensor ${i}: Percentile ranges equal ORT ${ORT.onnxruntime_version}'s compute_percentile`, () => {
    assert.deepEqual(pair(percentileRange(histogram(values, "absolute", 2048), 99.999, true)), ort.percentile_symmetric);
    assert.deepEqual(pair(percentileRange(histogram(values, "absolute", 2048), 99, true)), ort.percentile_99_symmetric);
    assert.deepEqual(pair(percentileRange(histogram(values, "value", 2048), 99, false)), ort.percentile_99_asymmetric);
    assert.deepEqual(pair(percentileRange(histogram(values, "absolute", 2048), 75, true)), ort.percentile_75_symmetric);
    assert.deepEqual(pair(percentileRange(histogram(values, "value", 2048), 75, false)), ort.percentile_75_asymmetric);
  });
}

test(`${ORT.more.length} more tensors (normal, skewed with outliers, heavy-tailed, mixtures): all 4 bin settings equal ORT ${ORT.onnxruntime_version}'s Entropy ranges`, () => {
  assert.equal(ORT.more.length, 24);
  const differ: string[] = [];
  for (const [i, c] of ORT.more.entries()) {
    const values = Float32Array.from(c.values);
    assert.equal(Object.keys(c.entropy).length, 4);
    for (const [setting, want] of Object.entries(c.entropy)) {
      const [bins, quantizedBins] = setting.split("_").map(Number);
      const got = pair(entropyRange(histogram(values, "value", bins), quantizedBins));
      if (got[0] !== want[0] || got[1] !== want[1]) differ.push(`tensor ${i}, ${bins} bins / ${quantizedBins} levels: [${got}] vs ORT [${want}]`);
    }
  }
  assert.deepEqual(differ, []);
});
