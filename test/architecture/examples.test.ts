import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { exportsWithoutExample } from "../../tools/architecture";

const ROOT = path.resolve(__dirname, "..", "..");

test("every runtime export of lib/ has a TSDoc @example", () => {
  assert.deepEqual(exportsWithoutExample(ROOT), []);
});

test("the scan finds an export without an example, and not one with", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "examples-"));
  try {
    fs.mkdirSync(path.join(dir, "lib", "x"), { recursive: true });
    fs.writeFileSync(path.join(dir, "lib", "x", "a.ts"), ["/** Documented.\n * @example a(); // 1\n */", "export function a() { return 1; }", "/** No example. */", "export const b = 2;", "export type C = number;", "export class D {}"].join("\n"));
    fs.writeFileSync(path.join(dir, "lib", "x", "index.ts"), 'export * from "./a";\nexport const skipped = 0;\n');
    assert.deepEqual(exportsWithoutExample(dir), ["lib/x/a.ts:6 b", "lib/x/a.ts:8 D"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
