import { ClassLabel } from "./classLabel";
import { Random } from "../utils/random";

/** Features of a labelled text dataset: the label column is a ClassLabel. */
export interface Features {
  intent: ClassLabel;
}

/**
 * A small in-memory table in the spirit of `datasets.Dataset`: rows, length,
 * `select`, `shuffle`, `map`, `filter`. Rows are plain objects.
 *
 * @example
 * const ds = new Dataset([{ text: "refund my order", intent: 0 }, { text: "where is my parcel", intent: 1 }], { intent: new ClassLabel(["refund", "delivery"]) });
 * ds.column("intent"); // [0, 1]
 * ds.shuffle(42).filter((r) => r.intent === 1).at(0).text; // "where is my parcel"
 */
export class Dataset<Row extends object> {
  constructor(
    readonly rows: readonly Row[],
    readonly features: Features,
  ) {}

  get length(): number {
    return this.rows.length;
  }

  at(i: number): Row {
    if (!Number.isInteger(i) || i < 0 || i >= this.rows.length) {
      throw new Error(`Dataset: index ${i} is out of range [0, ${this.rows.length})`);
    }
    return this.rows[i];
  }

  [Symbol.iterator](): Iterator<Row> {
    return this.rows[Symbol.iterator]();
  }

  select(indices: Iterable<number>): Dataset<Row> {
    return new Dataset([...indices].map((i) => this.at(i)), this.features);
  }

  /** The first `n` rows (all when n >= length). */
  head(n: number): Dataset<Row> {
    return new Dataset(this.rows.slice(0, Math.max(0, n)), this.features);
  }

  shuffle(seed = 42): Dataset<Row> {
    return this.select(new Random(seed).permutation(this.length));
  }

  map<Out extends object>(fn: (row: Row, i: number) => Out): Dataset<Out> {
    return new Dataset(this.rows.map(fn), this.features);
  }

  filter(fn: (row: Row, i: number) => boolean): Dataset<Row> {
    return new Dataset(this.rows.filter(fn), this.features);
  }

  /** One column as an array. */
  column<K extends keyof Row>(key: K): Row[K][] {
    return this.rows.map((r) => r[key]);
  }
}

/**
 * Rows of several datasets with the same features, one after another, as
 * `datasets.concatenate_datasets`. Used, for example, to oversample a class.
 *
 * @example
 * const oversampled = concatenateDatasets([train, train.filter((r) => r.intent === oosId)]); // the oos rows twice
 */
export function concatenateDatasets<Row extends object>(datasets: Dataset<Row>[]): Dataset<Row> {
  if (!datasets.length) throw new Error("concatenateDatasets: no datasets given");
  const names = datasets[0].features.intent.names.join("\u0000");
  if (datasets.some((d) => d.features.intent.names.join("\u0000") !== names)) throw new Error("concatenateDatasets: the datasets' features differ (different label names)");
  return new Dataset(datasets.flatMap((d) => [...d.rows]), datasets[0].features);
}
