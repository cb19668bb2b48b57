/**
 * A categorical feature, like Hugging Face `datasets.ClassLabel`: integer ids
 * in a fixed order, with lookups both ways.
 *
 * @example
 * const intent = new ClassLabel(["restaurant_reviews", "nutrition_info"]);
 * intent.int2str(1); // "nutrition_info"
 */
export class ClassLabel {
  readonly names: readonly string[];
  private readonly index: Map<string, number>;

  constructor(names: readonly string[]) {
    if (names.length === 0) throw new Error("ClassLabel: names must not be empty");
    this.names = Object.freeze([...names]);
    this.index = new Map();
    names.forEach((n, i) => {
      if (typeof n !== "string" || n.length === 0) throw new Error(`ClassLabel: label ${i} is not a non-empty string`);
      if (this.index.has(n)) throw new Error(`ClassLabel: duplicate label "${n}"`);
      this.index.set(n, i);
    });
  }

  get numClasses(): number {
    return this.names.length;
  }

  int2str(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.names.length) {
      throw new Error(`ClassLabel: id ${id} is out of range [0, ${this.names.length})`);
    }
    return this.names[id];
  }

  str2int(name: string): number {
    const id = this.index.get(name);
    if (id === undefined) {
      const hint = this.names.slice(0, 5).join(", ");
      throw new Error(`ClassLabel: unknown label "${name}" (known: ${hint}, … ${this.names.length} in all)`);
    }
    return id;
  }

  /** `id2label` / `label2id` maps as written in a Hugging Face config.json. */
  toConfigMaps(): { id2label: Record<string, string>; label2id: Record<string, number> } {
    const id2label: Record<string, string> = {};
    const label2id: Record<string, number> = {};
    this.names.forEach((n, i) => {
      id2label[String(i)] = n;
      label2id[n] = i;
    });
    return { id2label, label2id };
  }
}
