/**
 * AdamW for an embedding table whose gradient touches a few rows per step,
 * as PyTorch's `optim.SparseAdam` (with AdamW's decoupled weight decay) or
 * TensorFlow Addons' LazyAdam: only the rows a batch uses have their moments
 * and weights updated. The table and its moments are plain Float32Arrays, so a
 * step costs the touched rows, not the whole table (a dense Adam step over a
 * 15k x 256 table costs more than the rest of a bag-of-words training step).
 *
 * @example
 * const opt = new SparseAdamW(table, 256, { weightDecay: 0.01 });
 * opt.step(Int32Array.from([3, 7]), gradRows, 1e-3); // gradRows: 2 x 256 values, row i for table row rows[i]
 */
export class SparseAdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  /** Steps taken (bias correction uses it for every row, as SparseAdam does). */
  steps = 0;

  constructor(readonly table: Float32Array, readonly width: number, options: { beta1?: number; beta2?: number; epsilon?: number; weightDecay?: number } = {}) {
    if (!(Number.isInteger(width) && width > 0 && table.length % width === 0)) throw new Error(`SparseAdamW: a table of ${table.length} values cannot have rows of width ${width}`);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.m = new Float32Array(table.length);
    this.v = new Float32Array(table.length);
  }

  get rows(): number {
    return this.table.length / this.width;
  }

  /** One update of the given rows; `grad` holds their gradients, row after row. Rows must be distinct. */
  step(rows: ArrayLike<number>, grad: Float32Array, lr: number): void {
    const w = this.width;
    if (grad.length !== rows.length * w) throw new Error(`SparseAdamW: ${grad.length} gradient values for ${rows.length} rows of width ${w}`);
    this.steps++;
    const b1 = this.beta1, b2 = this.beta2;
    const bc1 = 1 - b1 ** this.steps;
    const bc2 = 1 - b2 ** this.steps;
    const decay = 1 - lr * this.weightDecay;
    const { table, m, v } = this;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      if (!(row >= 0 && row < this.rows)) throw new Error(`SparseAdamW: row ${row} is outside the table's ${this.rows} rows`);
      const base = row * w;
      const g0 = r * w;
      for (let j = 0; j < w; j++) {
        const i = base + j;
        const g = grad[g0 + j];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        table[i] = table[i] * decay - (lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + this.epsilon);
      }
    }
  }
}
