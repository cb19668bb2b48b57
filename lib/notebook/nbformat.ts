// Small helpers for writing and checking .ipynb files (nbformat 4).

export interface NotebookCell {
  cell_type: "code" | "markdown";
  source: string | string[];
  metadata: Record<string, unknown>;
  outputs?: unknown[];
  execution_count?: number | null;
  id?: string;
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, any>;
  cells: NotebookCell[];
}

const TSLAB_METADATA = {
  kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" },
  language_info: { name: "typescript", file_extension: ".ts", mimetype: "text/typescript", codemirror_mode: { name: "javascript", typescript: true } },
};

/** A notebook for the tslab kernel from [kind, source] pairs, without outputs. */
export function makeNotebook(cells: ["code" | "markdown", string][]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: TSLAB_METADATA,
    cells: cells.map(([kind, source], i) => {
      const lines = source.split("\n").map((l, j, all) => (j < all.length - 1 ? `${l}\n` : l));
      const id = `cell-${String(i).padStart(3, "0")}`;
      return kind === "code" ? { id, cell_type: "code", source: lines, metadata: {}, outputs: [], execution_count: null } : { id, cell_type: "markdown", source: lines, metadata: {} };
    }),
  };
}

/** Problems that keep a notebook from being committed: bad structure, or stale outputs. */
export function notebookProblems(nb: Notebook): string[] {
  const problems: string[] = [];
  if (nb.nbformat !== 4) problems.push(`nbformat is ${nb.nbformat}, expected 4`);
  if (nb.metadata?.kernelspec?.name !== "tslab") problems.push(`kernelspec is ${nb.metadata?.kernelspec?.name}, expected tslab`);
  if (!Array.isArray(nb.cells) || nb.cells.length === 0) problems.push("no cells");
  (nb.cells ?? []).forEach((c, i) => {
    if (!["code", "markdown", "raw"].includes(c.cell_type)) problems.push(`cell ${i}: unknown cell_type ${c.cell_type}`);
    if (c.cell_type === "code" && ((c.outputs?.length ?? 0) > 0 || c.execution_count != null)) problems.push(`cell ${i}: has stale outputs`);
  });
  return problems;
}
