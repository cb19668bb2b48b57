import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { README, renderReadme } from "../scripts/readmeFigures";

// Every figure table in the README is generated from the shipped training reports and the committed bench summary.
test("the README's figure tables equal what their sources generate (npm run readme:figures)", () => {
  const text = fs.readFileSync(README, "utf8");
  assert.ok(/<!-- figures:models -->/.test(text), "the README has the models table");
  assert.equal(renderReadme(text), text, "README figures are stale: run npm run readme:figures");
});

test("figure blocks: an unknown block is an error; a bench with no recorded run says so", () => {
  assert.throws(() => renderReadme("<!-- figures:nope -->\nx\n<!-- /figures -->"), /unknown figures block "nope"/);
  assert.match(renderReadme("<!-- figures:bench:neverRun -->\n\n<!-- /figures -->", "/nonexistent/summary.json"), /No run of bench "neverRun" recorded yet/);
});
