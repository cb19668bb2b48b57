// The library's one place that writes to the console. Everything in lib/
// logs through `logger`, so a notebook (or a test) can turn the chatter
// down with `setLogLevel("warn")` or WORKBOOK_LOG_LEVEL=warn, as Hugging
// Face's `transformers.logging.set_verbosity_*` does.

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Where log lines go: one function per stream (tests swap it to capture lines). */
export interface LogSink {
  out(line: string): void;
  err(line: string): void;
}

const consoleSink: LogSink = {
  out: (line) => console.log(line),
  err: (line) => console.warn(line),
};

function parseLevel(value: string | undefined, where: string): LogLevel | undefined {
  if (value === undefined || value === "") return undefined;
  const v = value.toLowerCase();
  if (v in ORDER) return v as LogLevel;
  throw new Error(`${where}: unknown log level "${value}" (use ${Object.keys(ORDER).join(", ")})`);
}

let level: LogLevel = parseLevel(process.env.WORKBOOK_LOG_LEVEL, "WORKBOOK_LOG_LEVEL") ?? "info";
let sink: LogSink = consoleSink;

/**
 * Sets the lowest level that is printed ("silent" prints nothing). Returns the previous level.
 *
 * @example
 * const prev = setLogLevel("warn"); // only warnings and errors from here on
 * setLogLevel(prev);
 */
export function setLogLevel(next: LogLevel): LogLevel {
  const parsed = parseLevel(next, "setLogLevel");
  if (!parsed) throw new Error("setLogLevel: a level is required");
  const prev = level;
  level = parsed;
  return prev;
}

/**
 * The level now in force (WORKBOOK_LOG_LEVEL, else "info", until setLogLevel changes it).
 *
 * @example
 * getLogLevel(); // "info" (or WORKBOOK_LOG_LEVEL when set)
 */
export function getLogLevel(): LogLevel {
  return level;
}

/**
 * Replaces where lines go (undefined restores the console). Returns the previous sink.
 *
 * @example
 * const lines: string[] = [];
 * const prev = setLogSink({ out: (l) => lines.push(l), err: (l) => lines.push(l) }); // capture, as the tests do
 * setLogSink(prev); // or setLogSink(undefined) for the console
 */
export function setLogSink(next: LogSink | undefined): LogSink {
  const prev = sink;
  sink = next ?? consoleSink;
  return prev;
}

function enabled(l: LogLevel): boolean {
  return ORDER[l] >= ORDER[level];
}

/**
 * The library's logger: info and debug to stdout, warnings and errors to
 * stderr, each dropped below the current level.
 *
 * @example
 * logger.info(`Saved ${dir}`);
 * setLogLevel("warn"); // a notebook that wants only warnings
 */
export const logger = {
  debug(message: string): void {
    if (enabled("debug")) sink.out(message);
  },
  info(message: string): void {
    if (enabled("info")) sink.out(message);
  },
  warn(message: string): void {
    if (enabled("warn")) sink.err(message);
  },
  error(message: string): void {
    if (enabled("error")) sink.err(message);
  },
  /** Whether a level would be printed (skip building costly messages). */
  isEnabled: enabled,
};

/**
 * Runs `f` with the level set to `tmp`, restoring it afterwards (also on error).
 *
 * @example
 * const out = await withLogLevel("warn", () => trainer.train()); // no progress lines; the level is restored after
 */
export async function withLogLevel<T>(tmp: LogLevel, f: () => Promise<T> | T): Promise<T> {
  const prev = setLogLevel(tmp);
  try {
    return await f();
  } finally {
    setLogLevel(prev);
  }
}
