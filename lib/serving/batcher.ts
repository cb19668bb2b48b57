// Micro-batching: requests that arrive within a few milliseconds of each other
// share one model call, so a burst of one-text requests pays for one forward
// pass instead of one each.

/** When a MicroBatcher closes a batch. */
export interface MicroBatcherOptions {
  /** How long the first item of a batch waits for others, in ms (>= 0). */
  maxWaitMs: number;
  /** Items (texts) in one call at most (>= 1): a batch this full runs at once. A request of more items runs as its own batch. */
  maxBatch: number;
  /** Called with the number of items of each call (e.g. a batch-size histogram). */
  onBatch?: (items: number) => void;
}

interface Pending<I, O> {
  items: readonly I[];
  resolve: (out: O[]) => void;
  reject: (err: unknown) => void;
}

/**
 * Collects the items of concurrent `submit()` calls for up to `maxWaitMs`
 * (or until `maxBatch` items wait) and runs them as one `run(items)` call,
 * handing each caller its own slice of the results, in order. One call runs
 * at a time; what arrives meanwhile forms the next batch, which runs as soon
 * as that call ends. If a batch fails,
 * each of its requests runs again alone, so one request's bad input fails
 * that request only.
 *
 * @example
 * const batcher = new MicroBatcher((texts: readonly string[]) => pipe(texts), { maxWaitMs: 5, maxBatch: 64 });
 * const [a, b] = await Promise.all([batcher.submit(["hello"]), batcher.submit(["pay my bill", "what time is it"])]);
 * // one pipe() call with 3 texts; a has 1 row, b has 2
 */
export class MicroBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** run() calls made so far. */
  calls = 0;

  constructor(private readonly run: (items: readonly I[]) => Promise<O[]>, readonly options: MicroBatcherOptions) {
    const { maxWaitMs, maxBatch } = options;
    if (!(Number.isFinite(maxWaitMs) && maxWaitMs >= 0)) throw new Error(`MicroBatcher: maxWaitMs must be a number >= 0, got ${maxWaitMs}`);
    if (!(Number.isInteger(maxBatch) && maxBatch >= 1)) throw new Error(`MicroBatcher: maxBatch must be an integer >= 1, got ${maxBatch}`);
  }

  /** Requests (and their items) waiting for a batch, not counting the call running now. */
  get pending(): { requests: number; items: number } {
    return { requests: this.queue.length, items: this.queued };
  }

  /** Queues `items`; resolves with their outputs (one per item, in order) once their batch has run. */
  submit(items: readonly I[]): Promise<O[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<O[]>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.queued += items.length;
      if (this.queued >= this.options.maxBatch) this.markDue();
      else this.timer ??= setTimeout(() => this.markDue(), this.options.maxWaitMs);
    });
  }

  private markDue(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running) void this.flush();
  }

  /** Runs the next batch: whole requests, oldest first, up to maxBatch items (at least one request). */
  private async flush(): Promise<void> {
    const batch: Pending<I, O>[] = [];
    let n = 0;
    while (this.queue.length > 0 && (batch.length === 0 || n + this.queue[0].items.length <= this.options.maxBatch)) {
      const p = this.queue.shift()!;
      batch.push(p);
      n += p.items.length;
    }
    this.queued -= n;
    if (batch.length === 0) return;
    this.running = true;
    try {
      await this.runBatch(batch, n);
    } finally {
      this.running = false;
      // What arrived during the call has waited for it: it runs now, as the next batch.
      if (this.queue.length > 0) {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        void this.flush();
      }
    }
  }

  private async call(items: readonly I[]): Promise<O[]> {
    this.calls++;
    this.options.onBatch?.(items.length);
    const out = await this.run(items);
    if (!Array.isArray(out) || out.length !== items.length) throw new Error(`MicroBatcher: run() returned ${Array.isArray(out) ? out.length : typeof out} results for ${items.length} items`);
    return out;
  }

  private async runBatch(batch: Pending<I, O>[], n: number): Promise<void> {
    if (batch.length === 1) {
      const [p] = batch;
      await this.call(p.items).then(p.resolve, p.reject);
      return;
    }
    const all: I[] = [];
    for (const p of batch) all.push(...p.items);
    let out: O[];
    try {
      out = await this.call(all);
    } catch {
      // Whose input broke the batch is unknown: each request runs alone and gets its own result or error.
      for (const p of batch) await this.call(p.items).then(p.resolve, p.reject);
      return;
    }
    let at = 0;
    for (const p of batch) {
      p.resolve(out.slice(at, at + p.items.length));
      at += p.items.length;
    }
    if (at !== n) throw new Error(`MicroBatcher: routed ${at} of ${n} results`);
  }
}
