// A code cell's outputs, built from a kernel's IOPub messages as nbformat's
// output_from_msg and nbclient's process_message do, plus the merge of
// consecutive same-name stream chunks that Jupyter's frontends do.
import type { JupyterMessage } from "./protocol";

/** A mime bundle: mime type -> data (a string, or JSON for application/*+json). */
export type MimeBundle = Record<string, unknown>;

export interface StreamOutput {
  output_type: "stream";
  name: "stdout" | "stderr";
  text: string;
}
export interface DisplayDataOutput {
  output_type: "display_data";
  data: MimeBundle;
  metadata: Record<string, unknown>;
}
export interface ExecuteResultOutput {
  output_type: "execute_result";
  data: MimeBundle;
  metadata: Record<string, unknown>;
  execution_count: number | null;
}
export interface ErrorOutput {
  output_type: "error";
  ename: string;
  evalue: string;
  traceback: string[];
}
/** One nbformat 4 output. */
export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

/** The IOPub message types that become outputs. */
export const OUTPUT_MSG_TYPES = ["stream", "display_data", "execute_result", "error"] as const;
export type OutputMsgType = (typeof OUTPUT_MSG_TYPES)[number];

function need<T>(content: Record<string, any>, field: string, msgType: string, check: (v: unknown) => boolean, what: string): T {
  const v = content[field];
  if (!check(v)) throw new Error(`${msgType} message: content.${field} must be ${what}, got ${JSON.stringify(v)?.slice(0, 80)}`);
  return v as T;
}
const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The nbformat output for an IOPub message (nbformat's `output_from_msg`).
 * Throws on a message type that is not an output, or on missing fields.
 *
 * @example
 * outputFromMsg({ header: { msg_type: "stream" }, content: { name: "stdout", text: "hi\n" } } as JupyterMessage);
 * // { output_type: "stream", name: "stdout", text: "hi\n" }
 */
export function outputFromMsg(msg: Pick<JupyterMessage, "header" | "content">): Output {
  const type = msg.header.msg_type;
  const c = msg.content as Record<string, any>;
  switch (type) {
    case "stream": {
      const name = need<"stdout" | "stderr">(c, "name", type, (v) => v === "stdout" || v === "stderr", '"stdout" or "stderr"');
      return { output_type: "stream", name, text: need<string>(c, "text", type, (v) => typeof v === "string", "a string") };
    }
    case "display_data":
    case "update_display_data":
      return { output_type: "display_data", data: need<MimeBundle>(c, "data", type, isObject, "an object"), metadata: (c.metadata ?? {}) as Record<string, unknown> };
    case "execute_result":
      return {
        output_type: "execute_result",
        data: need<MimeBundle>(c, "data", type, isObject, "an object"),
        metadata: (c.metadata ?? {}) as Record<string, unknown>,
        execution_count: need<number | null>(c, "execution_count", type, (v) => v === null || Number.isInteger(v), "an integer"),
      };
    case "error":
      return {
        output_type: "error",
        ename: need<string>(c, "ename", type, (v) => typeof v === "string", "a string"),
        evalue: need<string>(c, "evalue", type, (v) => typeof v === "string", "a string"),
        traceback: need<string[]>(c, "traceback", type, (v) => Array.isArray(v) && v.every((l) => typeof l === "string"), "a list of strings"),
      };
    default:
      throw new Error(`unrecognized output message type "${type}" (outputs come from ${OUTPUT_MSG_TYPES.join(", ")})`);
  }
}

/** Options of {@link OutputArea}. */
export interface OutputAreaOptions {
  /**
   * The most lines one stream output keeps: beyond it, the first and the last
   * half are kept, with a marker line saying how many were omitted between
   * them. Default 10,000; Infinity keeps everything.
   */
  maxStreamLines?: number;
}

/** The default of {@link OutputAreaOptions.maxStreamLines}. */
export const MAX_STREAM_LINES = 10_000;

/**
 * The marker line that stands for the lines a capped stream output omits.
 *
 * @example omittedLinesMarker(490_000, 10_000); // "… 490,000 lines omitted (output limit: the first 5,000 and the last 5,000 lines of a stream are kept) …\n"
 */
export function omittedLinesMarker(omitted: number, maxStreamLines: number): string {
  const head = Math.ceil(maxStreamLines / 2);
  const fmt = (n: number) => n.toLocaleString("en-US");
  return `… ${fmt(omitted)} line${omitted === 1 ? "" : "s"} omitted (output limit: the first ${fmt(head)} and the last ${fmt(maxStreamLines - head)} lines of a stream are kept) …\n`;
}

// A stream output past the limit: its first lines, the omitted count, its last lines (the last may be partial).
interface CappedStream {
  head: string;
  omitted: number;
  tail: string[];
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}
const splitKeepingNewlines = (text: string) => text.split(/(?<=\n)/);

/**
 * The outputs of one executing cell. Feed it the IOPub messages whose parent
 * is the cell's execute_request: streams append (consecutive chunks of the
 * same stream merge into one output), `clear_output` clears now or, with
 * `wait`, before the next output, and `update_display_data` rewrites every
 * earlier output with the same `display_id` (in this cell or any cell of
 * the notebook that shares the `displays` map). A stream output longer than
 * `maxStreamLines` keeps its first and last lines around a visible marker
 * ({@link omittedLinesMarker}), never a silent cut.
 *
 * @example
 * const area = new OutputArea();
 * for (const msg of iopubMessagesOfTheCell) area.handle(msg);
 * cell.outputs = area.outputs;
 */
export class OutputArea {
  /** Set by the first message that carries an execution count (execute_input / execute_result). */
  executionCount: number | null = null;
  private list: Output[] = [];
  private clearPending = false;
  private readonly maxStreamLines: number;
  private lines = new WeakMap<StreamOutput, number>();
  private capped = new Map<StreamOutput, CappedStream>();

  /** @param displays display_id -> outputs showing it; share one map across a notebook's cells. */
  constructor(private readonly displays: Map<string, Output[]> = new Map(), options: OutputAreaOptions = {}) {
    const unknown = Object.keys(options).filter((k) => k !== "maxStreamLines");
    if (unknown.length) throw new Error(`OutputArea: unknown option(s) ${unknown.join(", ")} (maxStreamLines)`);
    const max = options.maxStreamLines ?? MAX_STREAM_LINES;
    if (!(max === Infinity || (Number.isInteger(max) && max >= 2))) throw new Error(`OutputArea: maxStreamLines must be an integer >= 2 or Infinity, got ${JSON.stringify(max)}`);
    this.maxStreamLines = max;
  }

  /** The outputs so far (capped streams with their marker). */
  get outputs(): Output[] {
    for (const [out, c] of this.capped) {
      const keep = this.maxStreamLines - Math.ceil(this.maxStreamLines / 2);
      if (c.tail.length > keep) c.omitted += c.tail.splice(0, c.tail.length - keep).length;
      out.text = c.head + omittedLinesMarker(c.omitted, this.maxStreamLines) + c.tail.join("");
    }
    return this.list;
  }

  /** Applies one IOPub message; returns true when it was the cell's `status: idle`. */
  handle(msg: Pick<JupyterMessage, "header" | "content">): boolean {
    const type = msg.header.msg_type;
    const c = msg.content as Record<string, any>;
    if (Number.isInteger(c.execution_count)) this.executionCount = c.execution_count;
    const displayId: string | undefined = c.transient?.display_id;
    switch (type) {
      case "status":
        return c.execution_state === "idle";
      case "clear_output":
        if (c.wait) this.clearPending = true;
        else this.clear();
        return false;
      case "update_display_data":
        if (displayId) this.updateDisplay(displayId, outputFromMsg(msg) as DisplayDataOutput);
        return false;
      case "stream":
      case "display_data":
      case "execute_result":
      case "error": {
        const out = outputFromMsg(msg);
        if (this.clearPending) this.clear();
        if (displayId && out.output_type !== "stream" && out.output_type !== "error") {
          this.updateDisplay(displayId, out);
          const shown = this.displays.get(displayId) ?? [];
          shown.push(out);
          this.displays.set(displayId, shown);
        }
        const last = this.list.at(-1);
        if (out.output_type === "stream" && last?.output_type === "stream" && last.name === out.name) this.appendStream(last, out.text);
        else {
          this.list.push(out);
          if (out.output_type === "stream") {
            const text = out.text;
            out.text = "";
            this.lines.set(out, 0);
            this.appendStream(out, text);
          }
        }
        return false;
      }
      default:
        return false; // execute_input, comm_*, shutdown_reply…: no output
    }
  }

  private appendStream(out: StreamOutput, text: string): void {
    const c = this.capped.get(out);
    if (!c) {
      out.text += text;
      const n = (this.lines.get(out) ?? 0) + countNewlines(text);
      this.lines.set(out, n);
      if (n <= this.maxStreamLines) return;
      // Past the limit: keep the head, and the rest as tail lines (trimmed as it grows).
      const all = splitKeepingNewlines(out.text);
      const head = Math.ceil(this.maxStreamLines / 2);
      this.capped.set(out, { head: all.slice(0, head).join(""), omitted: 0, tail: all.slice(head) });
      out.text = "";
      this.trim(this.capped.get(out)!);
      return;
    }
    const parts = splitKeepingNewlines(text);
    let i = 0;
    const lastLine = c.tail.length ? c.tail[c.tail.length - 1] : undefined;
    if (lastLine !== undefined && !lastLine.endsWith("\n")) c.tail[c.tail.length - 1] = lastLine + parts[i++];
    for (; i < parts.length; i++) c.tail.push(parts[i]);
    this.trim(c);
  }

  // Drops tail lines beyond twice what is kept (amortised: a splice now and then).
  private trim(c: CappedStream): void {
    const keep = this.maxStreamLines - Math.ceil(this.maxStreamLines / 2);
    if (c.tail.length > 2 * keep + 1) c.omitted += c.tail.splice(0, c.tail.length - keep - 1).length;
  }

  private clear(): void {
    this.clearPending = false;
    const gone = new Set(this.list);
    for (const [id, shown] of this.displays) this.displays.set(id, shown.filter((o) => !gone.has(o)));
    this.list = [];
    this.capped.clear();
  }
  private updateDisplay(displayId: string, out: DisplayDataOutput | ExecuteResultOutput): void {
    for (const shown of this.displays.get(displayId) ?? []) {
      if (shown.output_type === "display_data" || shown.output_type === "execute_result") {
        shown.data = out.data;
        shown.metadata = out.metadata;
      }
    }
  }
}
