// The journal file storage (Optuna's JournalStorage over JournalFileStorage):
// an append-only file of JSON operations, one a line. Every process replays
// the file to the same state; a lock file (created with O_EXCL) makes each
// read-check-append atomic, so processes on one machine share a study safely.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import { Operation, StorageState } from "./operations";
import { OperationStorage } from "./inMemory";
import { StorageOptions, checkKeys, heartbeatOptions } from "./base";
import { logger } from "../../utils/log";

/**
 * Whether a process with this pid exists on this machine.
 *
 * @example
 * pidAlive(process.pid); // true
 * pidAlive(trial.worker!.pid); // false once that worker (on this host) has exited: its RUNNING trial is stale
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

export interface JournalFileLockOptions {
  /** Seconds after which a lock is taken as abandoned even if its holder cannot be checked (another host). Default 30. */
  staleLockSeconds?: number;
  /** Seconds to wait for a live holder before giving up. Default 120. */
  timeoutSeconds?: number;
}

/**
 * An exclusive lock beside a file: `<file>.lock`, created with O_EXCL and
 * removed on release (Optuna's JournalFileOpenLock). The lock file names its
 * holder (host, pid, time); a lock whose holder died on this machine, or one
 * older than `staleLockSeconds`, is stale and broken, so a killed process
 * never blocks the others.
 *
 * @example
 * const lock = new JournalFileLock("study.jsonl");
 * lock.withLock(() => fs.appendFileSync("study.jsonl", line));
 */
export class JournalFileLock {
  readonly lockFile: string;
  private readonly staleMs: number;
  private readonly timeoutMs: number;
  private token = "";

  constructor(file: string, options: JournalFileLockOptions = {}) {
    checkKeys("JournalFileLock", options, ["staleLockSeconds", "timeoutSeconds"]);
    this.lockFile = `${file}.lock`;
    this.staleMs = (options.staleLockSeconds ?? 30) * 1000;
    this.timeoutMs = (options.timeoutSeconds ?? 120) * 1000;
  }

  /** Blocks until the lock is held. */
  acquire(): void {
    const started = Date.now();
    let wait = 1;
    this.token = JSON.stringify({ host: os.hostname(), pid: process.pid, id: randomUUID(), time: Date.now() });
    for (;;) {
      try {
        const fd = fs.openSync(this.lockFile, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o644);
        try {
          fs.writeSync(fd, this.token);
        } finally {
          fs.closeSync(fd);
        }
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new Error(`Cannot create lock file ${this.lockFile}: ${(err as Error).message}`);
      }
      const holder = this.readHolder();
      if (holder && this.isStale(holder)) {
        this.breakLock(holder.raw);
        continue;
      }
      if (Date.now() - started > this.timeoutMs) {
        throw new Error(`Timed out after ${Math.round(this.timeoutMs / 1000)} s waiting for ${this.lockFile} (held by ${holder ? `${holder.host} pid ${holder.pid}` : "an unknown process"}); delete it if no process uses the journal`);
      }
      sleepSync(wait);
      wait = Math.min(wait * 2, 50);
    }
  }

  /** Removes the lock file, if it is still ours. */
  release(): void {
    try {
      if (fs.readFileSync(this.lockFile, "utf8") !== this.token) throw new Error(`Lost the lock ${this.lockFile}: another process broke it as stale`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new Error(`Lost the lock ${this.lockFile}: it was removed while held`);
      throw err;
    }
    fs.rmSync(this.lockFile, { force: true });
  }

  /** Runs `f` holding the lock. */
  withLock<T>(f: () => T): T {
    this.acquire();
    try {
      return f();
    } finally {
      this.release();
    }
  }

  private readHolder(): { host: string; pid: number; time: number; raw: string } | undefined {
    try {
      const raw = fs.readFileSync(this.lockFile, "utf8");
      const mtime = fs.statSync(this.lockFile).mtimeMs;
      try {
        const h = JSON.parse(raw);
        return { host: String(h.host), pid: Number(h.pid), time: Number(h.time) || mtime, raw };
      } catch {
        // Empty or torn: the holder died between creating and writing it (or is writing now).
        return { host: "", pid: -1, time: mtime, raw };
      }
    } catch {
      return undefined; // released meanwhile
    }
  }

  private isStale(h: { host: string; pid: number; time: number }): boolean {
    if (h.host === os.hostname() && h.pid > 0 && !pidAlive(h.pid)) return true;
    return Date.now() - h.time > this.staleMs;
  }

  /** Moves the stale lock aside, then checks it was the one judged stale (never a fresh lock taken meanwhile). */
  private breakLock(staleRaw: string): void {
    const aside = `${this.lockFile}.${randomUUID()}.stale`;
    try {
      fs.renameSync(this.lockFile, aside);
    } catch {
      return; // someone else broke or released it
    }
    const moved = fs.readFileSync(aside, "utf8");
    if (moved !== staleRaw) {
      // We took a fresh lock: put it back unless a newer one exists.
      try {
        fs.linkSync(aside, this.lockFile);
      } catch {
        /* a newer lock is in place; the fresh holder will notice on release */
      }
    } else {
      logger.warn(`Broke a stale lock ${this.lockFile} (${staleRaw})`);
    }
    fs.rmSync(aside, { force: true });
  }
}

/**
 * Creates the journal's folder and file if missing, or fails at once with an
 * error naming the path. The folders are made one level at a time: Node's
 * recursive mkdir never returns on some paths (e.g. under /proc).
 *
 * @example
 * openJournalFile("outputs/hpo/study.jsonl"); // creates outputs/hpo/ and an empty study.jsonl
 * openJournalFile("/proc/x/study.jsonl"); // throws: Cannot use journal file /proc/x/study.jsonl: …
 */
export function openJournalFile(file: string): void {
  const fail = (why: string): never => {
    throw new Error(`Cannot use journal file ${file}: ${why}`);
  };
  const missing: string[] = [];
  let dir = path.dirname(path.resolve(file));
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOENT") fail(`cannot read ${dir} (${code ?? (err as Error).message})`);
    }
    if (st) {
      if (!st.isDirectory()) fail(`${dir} is not a folder`);
      break;
    }
    missing.unshift(dir);
    const up = path.dirname(dir);
    if (up === dir) fail(`no folder of the path exists`);
    dir = up;
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EEXIST") fail(`cannot create the folder ${d} (${code ?? (err as Error).message})`);
    }
  }
  try {
    if (fs.existsSync(file) && !fs.statSync(file).isFile()) fail("it is not a regular file");
    fs.closeSync(fs.openSync(file, "a"));
  } catch (err) {
    if ((err as Error).message.startsWith("Cannot use journal file")) throw err;
    fail(`cannot open it for appending (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

export interface JournalStorageOptions extends StorageOptions, JournalFileLockOptions {}

/**
 * A study (or several) kept in an append-only journal file: one JSON
 * operation per line, replayed on load. The embedded default storage, as
 * `createStudy({ storage: "journal:./study.jsonl" })`: re-running an
 * interrupted search with `loadIfExists: true` finds every finished trial,
 * and several processes on one machine can share the file.
 *
 * A process killed while writing leaves a torn last line; the next writer
 * (holding the lock) cuts it off before appending. With `heartbeatInterval`
 * (seconds), each RUNNING trial appends a heartbeat line that often, and a
 * trial silent for `gracePeriod` (default twice the interval) is marked FAIL
 * by the next worker that starts a trial, even if its pid was reused or it
 * ran on another host sharing the file (Optuna's heartbeat). The objective
 * must yield to the event loop (await) within the grace period, or its own
 * trial looks dead.
 *
 * @example
 * const storage = new JournalStorage("outputs/hpo/study.jsonl");
 * const study = await createStudy({ studyName: "rosenbrock", storage, loadIfExists: true });
 */
export class JournalStorage extends OperationStorage {
  readonly file: string;
  private readonly lock: JournalFileLock;
  private offset = 0;
  private lineNumber = 0;

  constructor(file: string, options: JournalStorageOptions = {}) {
    checkKeys("JournalStorage", options, ["heartbeatInterval", "gracePeriod", "failedTrialCallback", "staleLockSeconds", "timeoutSeconds"]);
    super(heartbeatOptions("JournalStorage", options));
    this.file = path.resolve(file);
    openJournalFile(this.file);
    this.lock = new JournalFileLock(this.file, { staleLockSeconds: options.staleLockSeconds, timeoutSeconds: options.timeoutSeconds });
    this.sync();
  }

  /** Reads and applies the complete lines appended since the last read. */
  protected sync(): void {
    const size = fs.statSync(this.file).size;
    if (size <= this.offset) return;
    const fd = fs.openSync(this.file, "r");
    let buf: Buffer;
    try {
      buf = Buffer.alloc(size - this.offset);
      fs.readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      fs.closeSync(fd);
    }
    const end = buf.lastIndexOf(0x0a);
    if (end < 0) return; // only a partial line so far
    const text = buf.subarray(0, end).toString("utf8");
    for (const line of text.split("\n")) {
      this.lineNumber++;
      if (line.trim() === "") continue;
      let o: Operation;
      try {
        o = JSON.parse(line);
      } catch (err) {
        throw new Error(`Journal ${this.file} line ${this.lineNumber} is not valid JSON (${(err as Error).message}); the file is corrupt`);
      }
      // Replay validates as the writer did (Optuna skips a log that is not applicable):
      // a ghost trial, or an update of a finished one, is never applied.
      try {
        this.state.check(o);
      } catch (err) {
        logger.warn(`Journal ${this.file} line ${this.lineNumber}: skipped an invalid operation (${(err as Error).message})`);
        continue;
      }
      this.state.apply(o);
    }
    this.offset += end + 1;
  }

  protected commit(build: (state: StorageState) => Operation | null): Operation | null {
    return this.lock.withLock(() => {
      this.cutTornTail();
      this.sync();
      const o = build(this.state);
      if (o === null) return null;
      this.state.check(o);
      const fd = fs.openSync(this.file, "a");
      try {
        fs.writeSync(fd, JSON.stringify(o) + "\n");
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      this.sync();
      return o;
    });
  }

  /**
   * Appends a heartbeat for a RUNNING trial (a `heartbeat` line with this
   * machine's time); nothing once the trial has finished.
   */
  async recordHeartbeat(trialId: number): Promise<void> {
    this.commit((s) => (s.trial(trialId).state === "RUNNING" ? { op: "heartbeat", trial_id: trialId, time: new Date().toISOString() } : null));
  }

  /**
   * RUNNING trials whose last heartbeat is older than the grace period, by
   * this machine's clock, whatever their pid or host (Optuna's
   * _get_stale_trial_ids). A trial that never recorded a heartbeat is not
   * judged (as Optuna). Empty without heartbeatInterval.
   */
  async getStaleTrialIds(studyId: number): Promise<number[]> {
    const grace = this.options.gracePeriod;
    if (!this.options.heartbeatInterval || grace === undefined) return [];
    this.sync();
    const limit = Date.now() - grace * 1000;
    const out: number[] = [];
    for (const t of this.state.allTrials(studyId, ["RUNNING"])) {
      const beat = this.state.lastHeartbeat(t.trialId);
      if (beat !== undefined && beat < limit) out.push(t.trialId);
    }
    return out;
  }

  /** With the lock held: a last line without its newline was left by a writer that died; drop it. */
  private cutTornTail(): void {
    const size = fs.statSync(this.file).size;
    if (size === 0) return;
    const fd = fs.openSync(this.file, "r+");
    try {
      // Scan back from the end, a block at a time, for the last newline.
      const block = 1 << 16;
      let keep = 0;
      for (let end = size; end > 0; end -= block) {
        const start = Math.max(0, end - block);
        const buf = Buffer.alloc(end - start);
        fs.readSync(fd, buf, 0, buf.length, start);
        if (end === size && buf[buf.length - 1] === 0x0a) return;
        const nl = buf.lastIndexOf(0x0a);
        if (nl >= 0) {
          keep = start + nl + 1;
          break;
        }
      }
      logger.warn(`Journal ${this.file}: dropping a torn last line (${size - keep} bytes) left by a writer that died`);
      fs.ftruncateSync(fd, keep);
    } finally {
      fs.closeSync(fd);
    }
  }
}
