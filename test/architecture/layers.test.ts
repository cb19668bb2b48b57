import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { importsOf, layerOrder, layerViolations, toolViolations } from "../../tools/architecture";

const ROOT = path.resolve(__dirname, "..", "..");
const LAYERS = layerOrder(fs.readFileSync(path.join(ROOT, "docs", "architecture.md"), "utf8"));

test("every lib/ folder is in a layer of docs/architecture.md and imports only from layers below it (type-only imports included)", () => {
  assert.deepEqual(layerViolations(ROOT, LAYERS), []);
});

test("tools/, bench/, scripts/ and test/ share code only through tools/", () => {
  assert.deepEqual(toolViolations(ROOT), []);
});

/** `require("spec")` / `import("spec")` as text, spelled so that this file's own scan does not read it as an import. */
const call = (fn: "require" | "import", spec: string) => `${fn}("${spec}")`;

/** A throw-away tree with lib/ files and the given layers. */
function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "layers-"));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

test("the checker catches an upward import, a sideways one, a type-only cycle, an unlisted folder and an import out of lib/", () => {
  const dir = tree({
    "lib/a/index.ts": 'import { b } from "../b";\nexport const a = 1;\n', // up: a (0) -> b (1)
    "lib/b/index.ts": 'import type { A } from "../a/types";\nexport const b = 2;\n', // down: fine
    "lib/a/types.ts": "export type A = number;\n",
    "lib/c/index.ts": 'export { x } from "../d";\n', // sideways: c and d share a layer
    "lib/d/index.ts": "export const x = 3;\n",
    "lib/e/index.ts": `const t = ${call("require", "../../tools/x")};\n`, // leaves lib/
    "lib/f.ts": "export const f = 0;\n", // in no layer
    "tools/x.ts": "export const y = 1;\n",
  });
  try {
    const found = layerViolations(dir, [["a"], ["b"], ["c", "d"], ["e"]]);
    assert.equal(found.length, 4, found.join("\n"));
    assert.match(found.join("\n"), /lib\/a\/index\.ts: import "\.\.\/b" goes up from lib\/a \(layer 0\) to lib\/b \(layer 1\)/);
    assert.match(found.join("\n"), /lib\/c\/index\.ts: import "\.\.\/d" goes sideways/);
    assert.match(found.join("\n"), /lib\/e\/index\.ts: import "\.\.\/\.\.\/tools\/x" leaves lib\//);
    assert.match(found.join("\n"), /lib\/f\.ts: lib\/f is in no layer/);
    // A type-only import upward is as much a cycle as a value import.
    const typeCycle = layerViolations(dir, [["b"], ["a"], ["c", "d"], ["e"], ["f"]]);
    assert.ok(typeCycle.some((p) => /lib\/b\/index\.ts: type import "\.\.\/a\/types" goes up/.test(p)), typeCycle.join("\n"));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("imports are read in every form: named, type-only, re-export, side effect, dynamic import() and require(); comments do not count", () => {
  const dir = tree({
    "lib/m/x.ts": [
      'import { a } from "./a";',
      'import type { B } from "./b";',
      'import { type C, type D } from "./c";',
      'export * from "./d";',
      'import "./e";',
      `const f = ${call("import", "./f")};`,
      `const g = ${call("require", "./g")};`,
      '// import { h } from "./h";',
      "/* import { i } from \"./i\"; */",
    ].join("\n"),
    ...Object.fromEntries(["a", "b", "c", "d", "e", "f", "g"].map((n) => [`lib/m/${n}.ts`, "export {};\n"])),
  });
  try {
    const edges = importsOf(path.join(dir, "lib/m/x.ts"), dir);
    assert.deepEqual(edges.map((e) => [e.specifier, e.typeOnly]), [["./a", false], ["./b", true], ["./c", true], ["./d", false], ["./e", false], ["./f", false], ["./g", false]]);
    fs.writeFileSync(path.join(dir, "lib/m/y.ts"), 'import { z } from "./missing";\n');
    assert.throws(() => importsOf(path.join(dir, "lib/m/y.ts"), dir), /lib\/m\/y\.ts: import "\.\/missing" resolves to no file/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the tool folders may not import one another except through tools/", () => {
  const dir = tree({ "bench/a.ts": 'import { s } from "../scripts/s";\n', "scripts/s.ts": "export const s = 1;\n", "test/t.ts": 'import { u } from "../tools/u";\n', "tools/u.ts": "export const u = 1;\n" });
  try {
    assert.deepEqual(toolViolations(dir), ["bench/a.ts: imports scripts/s.ts (bench/ may import lib, tools, bench)"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
