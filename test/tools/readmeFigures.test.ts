import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { BENCHMARKS_DOC, FIGURE_FILES, README, renderFigures } from "../../tools/figures";
import { loadSummary } from "../../tools/benchSummary";

// Every figure table in README.md and docs/benchmarks.md is generated from the shipped training reports and the committed bench summary.
test("the README's and docs/benchmarks.md's figure tables equal what their sources generate (npm run readme:figures)", () => {
  assert.deepEqual(FIGURE_FILES, [README, BENCHMARKS_DOC]);
  const readme = fs.readFileSync(README, "utf8");
  assert.ok(/<!-- figures:models -->/.test(readme), "the README has the models table");
  for (const file of FIGURE_FILES) {
    const text = fs.readFileSync(file, "utf8");
    assert.equal(renderFigures(text), text, `${path.basename(file)} figures are stale: run npm run readme:figures`);
  }
});

test("docs/benchmarks.md has a table for every bench recorded in bench/results/summary.json", () => {
  const doc = fs.readFileSync(BENCHMARKS_DOC, "utf8");
  for (const name of Object.keys(loadSummary())) assert.ok(doc.includes(`<!-- figures:bench:${name} -->`), `docs/benchmarks.md lacks the figures:bench:${name} block`);
});

test("the README is a five-minute read: at most 15 KB", () => {
  const bytes = fs.statSync(README).size;
  assert.ok(bytes <= 15 * 1024, `README.md is ${bytes} bytes, over 15 KB (${15 * 1024}): move detail to docs/`);
});

test("figure blocks: an unknown block is an error; a bench with no recorded run says so", () => {
  assert.throws(() => renderFigures("<!-- figures:nope -->\nx\n<!-- /figures -->"), /unknown figures block "nope"/);
  assert.match(renderFigures("<!-- figures:bench:neverRun -->\n\n<!-- /figures -->", "/nonexistent/summary.json"), /No run of bench "neverRun" recorded yet/);
});
