// The chapter shows a class's code where it builds it method by method; the
// book's notes use `inspect.getsource`. Notebooks here call `printSource` to
// show the library's own TypeScript at that point, so what is printed is
// what runs, never a copy that can drift.
import * as fs from "node:fs";
import * as path from "node:path";
import { logger } from "../utils/log";

/**
 * lib/ beside this file's package root (this file runs from lib/ under tsx, or from dist/ in notebooks).
 *
 * @example
 * fs.existsSync(path.join(LIB_DIR, "distillation", "loss.ts")); // true: getSource and printSource read the sources here
 */
export const LIB_DIR = path.resolve(__dirname, "..", "..", "lib");

function libFiles(dir = LIB_DIR): string[] {
  if (!fs.existsSync(dir)) throw new Error(`printSource: the library sources are not at ${dir}`);
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? libFiles(p) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

/** Index just past the brace that closes the one at `open` (skips strings, template literals and comments). */
function matchBrace(src: string, open: number): number {
  let depth = 0;
  const templateDepth: number[] = []; // brace depth at which each open `${` started
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === "/" && src[i + 1] === "/") i = src.indexOf("\n", i) === -1 ? src.length : src.indexOf("\n", i);
    else if (c === "/" && src[i + 1] === "*") i = src.indexOf("*/", i + 2) + 1;
    else if (c === '"' || c === "'") {
      for (i++; i < src.length && src[i] !== c; i++) if (src[i] === "\\") i++;
    } else if (c === "`" || (c === "}" && templateDepth.at(-1) === depth)) {
      if (c === "}") templateDepth.pop();
      // Inside a template literal until its closing backtick or a `${`.
      for (i++; i < src.length; i++) {
        if (src[i] === "\\") i++;
        else if (src[i] === "`") break;
        else if (src[i] === "$" && src[i + 1] === "{") {
          templateDepth.push(depth);
          i++;
          break;
        }
      }
    } else if (c === "{") depth++;
    else if (c === "}") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  throw new Error("printSource: unbalanced braces");
}

/** Start of the doc comment right above `at` (or `at` itself). */
function withDocComment(src: string, at: number): number {
  const before = src.slice(0, at).replace(/\s*$/, "");
  if (!before.endsWith("*/")) return at;
  const start = before.lastIndexOf("/**");
  return start >= 0 ? src.lastIndexOf("\n", start) + 1 : at;
}

/** The first `{` that opens the body after a declaration's signature (parameter lists may hold braces). */
function bodyStart(src: string, from: number): number {
  let parens = 0;
  for (let i = from; i < src.length; i++) {
    const c = src[i];
    if (c === "(") parens++;
    else if (c === ")") parens--;
    else if (c === "{" && parens === 0) {
      // A type literal after `:` in a return type is not the body: it is followed by more type, not a statement.
      const prev = src.slice(from, i).trimEnd();
      if (prev.endsWith(":") || prev.endsWith("|") || prev.endsWith("<") || prev.endsWith(",")) {
        i = matchBrace(src, i) - 1;
        continue;
      }
      return i;
    } else if (c === ";" && parens === 0) return -1; // an overload signature
  }
  return -1;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The TypeScript source of a library function, class, or class member, with
 * its doc comment, from lib/. Overload signatures are skipped: the
 * implementation is returned.
 *
 * @example
 * getSource(kdLoss);
 * getSource(PerformanceBenchmark, "computeAccuracy");
 */
export function getSource(target: Function | string, member?: string): { file: string; line: number; source: string } {
  const name = typeof target === "string" ? target : target.name;
  if (!name) throw new Error("printSource: the target has no name (pass a named function or class)");
  const files = libFiles();
  const decl = new RegExp(`^[ \\t]*(?:export\\s+)?(?:default\\s+)?(?:abstract\\s+)?(?:async\\s+)?(?:function\\*?|class)\\s+${escape(name)}\\b`, "m");
  for (const file of files) {
    const src = fs.readFileSync(file, "utf8");
    const m = decl.exec(src);
    if (!m) continue;
    const declStart = m.index;
    const open = bodyStart(src, declStart + m[0].length);
    if (open < 0) continue;
    const end = matchBrace(src, open);
    let start = declStart;
    let stop = end;
    if (member) {
      const body = src.slice(open, end);
      const mm = new RegExp(`^[ \\t]*(?:(?:public|protected|private|static|override|readonly|async|get|set)\\s+)*${escape(member)}\\s*[(<]`, "gm");
      let found = -1;
      for (let hit = mm.exec(body); hit; hit = mm.exec(body)) {
        const s = open + hit.index;
        const b = bodyStart(src, s + hit[0].length - 1);
        if (b < 0) continue; // an overload signature
        found = s;
        stop = matchBrace(src, b);
        break;
      }
      if (found < 0) throw new Error(`printSource: ${name} has no member "${member}" in ${path.relative(LIB_DIR, file)}`);
      start = found;
    }
    start = withDocComment(src, start);
    const line = src.slice(0, start).split("\n").length;
    return { file: path.relative(path.dirname(LIB_DIR), file), line, source: dedent(src.slice(start, stop)) };
  }
  throw new Error(`printSource: no function or class named "${name}" in ${LIB_DIR}`);
}

function dedent(s: string): string {
  const lines = s.split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join("\n");
}

/**
 * Prints a library function, class or method as the book prints
 * `inspect.getsource(...)`: where the chapter builds a class method by
 * method, the notebook shows the code that actually runs.
 *
 * @example printSource(PerformanceBenchmark, "computeAccuracy");
 */
export function printSource(target: Function | string, member?: string): void {
  const { file, line, source } = getSource(target, member);
  logger.info(`// ${file}:${line}\n${source}`);
}
