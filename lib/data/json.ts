// JSON and JSON Lines with file lines for each row, so errors can name them.

/**
 * 1-based line of a character offset.
 *
 * @example lineOfOffset("a\nb", 2); // 2
 */
export function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Parses JSON, naming the file and the line of a syntax error.
 *
 * @example parseJson('[1, 2', "rows.json"); // Error: rows.json: not valid JSON at line 1 (…)
 */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    throw new Error(`${source}: not valid JSON${at ? ` at line ${lineOfOffset(text, Number(at[1]))}` : ""} (${message})`);
  }
}

/**
 * The line on which each element of a top-level JSON array starts (the text
 * must be valid JSON: parse it first).
 *
 * @example jsonArrayElementLines('[\n {"a": 1},\n {"a": 2}\n]'); // [2, 3]
 */
export function jsonArrayElementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") line++;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === " " || c === "\t" || c === "\n" || c === "\r") continue;
    if (depth === 1 && expectElement && c !== "]") lines.push(line);
    expectElement = false;
    if (c === '"') inString = true;
    else if (c === "[" || c === "{") {
      depth++;
      if (depth === 1 && c === "[") expectElement = true;
    } else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 1) expectElement = true;
  }
  return lines;
}

/**
 * JSON Lines: one JSON value per non-blank line, each with its line.
 *
 * @example parseJsonLines('{"text": "hi"}\n\n{"text": "yo"}\n', "rows.jsonl"); // [{ value: { text: "hi" }, line: 1 }, { value: { text: "yo" }, line: 3 }]
 */
export function parseJsonLines(text: string, source: string): { value: unknown; line: number }[] {
  const out: { value: unknown; line: number }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === "") return;
    try {
      out.push({ value: JSON.parse(raw), line: i + 1 });
    } catch (err) {
      throw new Error(`${source} line ${i + 1}: not valid JSON (${(err as Error).message})`);
    }
  });
  return out;
}
