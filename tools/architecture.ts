// The layer rule of docs/architecture.md, checked on the source: every
// relative import (type-only, dynamic and require() included) of a lib/
// folder goes to a folder below it, and the tool folders import one
// another only through tools/.
import * as fs from "node:fs";
import * as path from "node:path";

/** One relative import of one file. */
export interface ImportEdge {
  file: string;
  specifier: string;
  /** The resolved target, relative to the scanned root. */
  target: string;
  typeOnly: boolean;
}

/** Source files under a folder (.ts, .js), sorted. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== "node_modules" && e.name !== "fixtures") walk(p);
      } else if (/\.(ts|js|mjs|cjs)$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The source without comments (strings kept), so a commented-out import does not count. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

const IMPORT = /(?:^|[\n;])\s*(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|require\(\s*["']([^"']+)["']\s*\)|(?:^|[\n;])\s*import\s+["']([^"']+)["']/g;

/**
 * Every relative import of a file, resolved (`x`, `x.ts`, `x/index.ts`).
 *
 * @example importsOf("lib/models/auto.ts", "."); // [{ specifier: "./bert", target: "lib/models/bert.ts", typeOnly: false, … }, …]
 */
export function importsOf(file: string, root: string): ImportEdge[] {
  const src = stripComments(fs.readFileSync(file, "utf8"));
  const edges: ImportEdge[] = [];
  for (const m of src.matchAll(IMPORT)) {
    const specifier = m[4] ?? m[5] ?? m[6] ?? m[7];
    if (!specifier.startsWith(".")) continue;
    let typeOnly = m[2] !== undefined;
    const names = m[3]?.trim();
    if (!typeOnly && names && /^\{[\s\S]*\}$/.test(names)) {
      const list = names.slice(1, -1).split(",").map((s) => s.trim()).filter(Boolean);
      typeOnly = list.length > 0 && list.every((n) => n.startsWith("type "));
    }
    const base = path.resolve(path.dirname(file), specifier);
    const resolved = [base, `${base}.ts`, `${base}.js`, path.join(base, "index.ts"), path.join(base, "index.js")].find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
    if (!resolved) throw new Error(`${path.relative(root, file)}: import "${specifier}" resolves to no file`);
    edges.push({ file: path.relative(root, file), specifier, target: path.relative(root, resolved), typeOnly });
  }
  return edges;
}

/** lib/<unit>/… or lib/<unit>.ts → unit; undefined outside lib/. */
export function libUnit(rel: string): string | undefined {
  const parts = rel.split(path.sep);
  if (parts[0] !== "lib" || parts.length < 2) return undefined;
  return parts.length === 2 ? parts[1].replace(/\.(ts|js)$/, "") : parts[1];
}

/**
 * The layer order written in docs/architecture.md: the lines of its
 * ```layers block, bottom first; each line names one or more lib units.
 *
 * @example layerOrder(fs.readFileSync("docs/architecture.md", "utf8")); // [["utils"], ["native", "backend"], …]
 */
export function layerOrder(markdown: string): string[][] {
  const block = /```layers\n([\s\S]*?)```/.exec(markdown);
  if (!block) throw new Error("docs/architecture.md has no ```layers block");
  return block[1]
    .split("\n")
    .map((l) => l.replace(/#.*$/, "").trim())
    .filter(Boolean)
    .map((l) => l.split(/[\s,]+/).filter(Boolean));
}

/** What breaks the rule, one line each; empty when the code follows it. */
export function layerViolations(root: string, layers: string[][]): string[] {
  const rank = new Map<string, number>();
  layers.forEach((units, i) => units.forEach((u) => rank.set(u, i)));
  const problems: string[] = [];
  const libDir = path.join(root, "lib");
  for (const file of sourceFiles(libDir)) {
    const rel = path.relative(root, file);
    const from = libUnit(rel)!;
    if (from === "index") continue; // the barrel the notebooks import, above everything
    if (!rank.has(from)) {
      problems.push(`${rel}: lib/${from} is in no layer of docs/architecture.md`);
      continue;
    }
    for (const e of importsOf(file, root)) {
      const to = libUnit(e.target);
      const kind = e.typeOnly ? "type import" : "import";
      if (to === undefined) problems.push(`${rel}: ${kind} "${e.specifier}" leaves lib/ (${e.target}); the library imports no tool, bench, script or test`);
      else if (to !== from) {
        if (!rank.has(to)) problems.push(`${rel}: ${kind} of lib/${to}, which is in no layer`);
        else if (rank.get(to)! >= rank.get(from)!) problems.push(`${rel}: ${kind} "${e.specifier}" goes ${rank.get(to) === rank.get(from) ? "sideways" : "up"} from lib/${from} (layer ${rank.get(from)}) to lib/${to} (layer ${rank.get(to)})`);
      }
    }
  }
  return problems;
}

/** The folders beside lib/: which others each may import (tools/ is the neutral one they share). */
export const TOOL_IMPORTS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  tools: ["lib", "tools"],
  bench: ["lib", "tools", "bench"],
  scripts: ["lib", "tools", "scripts"],
  test: ["lib", "tools", "test"],
});

/** Imports among tools/, bench/, scripts/ and test/ that go through each other instead of tools/. */
export function toolViolations(root: string): string[] {
  const problems: string[] = [];
  for (const [folder, allowed] of Object.entries(TOOL_IMPORTS)) {
    const dir = path.join(root, folder);
    if (!fs.existsSync(dir)) continue;
    for (const file of sourceFiles(dir)) {
      for (const e of importsOf(file, root)) {
        const top = e.target.split(path.sep)[0];
        if (!allowed.includes(top)) problems.push(`${path.relative(root, file)}: imports ${e.target} (${folder}/ may import ${allowed.join(", ")})`);
      }
    }
  }
  return problems;
}

/**
 * Runtime exports of lib/ (functions, classes, constants, enums; barrels
 * skipped) whose TSDoc has no `@example`, as "file:line name".
 *
 * @example exportsWithoutExample("."); // [] when every export shows its use
 */
export function exportsWithoutExample(root: string): string[] {
  const missing: string[] = [];
  for (const file of sourceFiles(path.join(root, "lib"))) {
    if (path.basename(file) === "index.ts" || !file.endsWith(".ts")) continue;
    const src = fs.readFileSync(file, "utf8");
    const seen = new Set<string>(); // an overloaded function is documented on its first signature
    for (const m of src.matchAll(/^export (?:async )?(?:abstract )?(?:function|class|const|let|enum) (\w+)/gm)) {
      if (seen.has(m[1])) continue;
      seen.add(m[1]);
      const before = src.slice(0, m.index).trimEnd();
      const doc = before.endsWith("*/") ? before.slice(before.lastIndexOf("/**")) : "";
      if (!doc.includes("@example")) missing.push(`${path.relative(root, file)}:${src.slice(0, m.index).split("\n").length} ${m[1]}`);
    }
  }
  return missing;
}
