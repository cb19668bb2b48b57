// cellScope: re-running a cell frees what its previous run kept, and only that.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ready } from "../helpers/setup";
import { cellScope } from "../../lib/workbook";
import { bert } from "../helpers/tinyModels";
import { setLogLevel } from "../../lib/utils/log";

test("cellScope disposes what the previous run of the same cell kept (last first), not another cell's, and nothing on the first run", async () => {
  await ready;
  const log: string[] = [];
  const thing = (id: string) => ({ dispose: () => log.push(id) });
  const run1 = cellScope("test: cell A");
  run1.keep(thing("a1"));
  run1.keep(thing("a2"));
  cellScope("test: cell B").keep(thing("b1"));
  assert.deepEqual(log, [], "a first run disposes nothing");
  const run2 = cellScope("test: cell A");
  assert.deepEqual(log, ["a2", "a1"], "the re-run frees its own previous values, last first");
  const model = run2.keep(bert());
  assert.equal(model.isDisposed, false);
  cellScope("test: cell A");
  assert.equal(model.isDisposed, true, "a kept model is disposed by the next run");
  assert.deepEqual(log, ["a2", "a1"], "cell B's value is untouched");
});

test("cellScope refuses a bad name or a value without dispose(); a failing dispose is logged and the rest still disposed", () => {
  assert.throws(() => cellScope(""), { message: 'cellScope: name must be a non-empty string, got ""' });
  assert.throws(() => cellScope("test: C").keep(42 as any), { message: 'cellScope("test: C").keep: expected something with a dispose() method, got number' });
  const log: string[] = [];
  const s = cellScope("test: D");
  s.keep({ dispose: () => log.push("first") });
  s.keep({ dispose: () => { throw new Error("broken"); } });
  setLogLevel("error");
  cellScope("test: D");
  assert.deepEqual(log, ["first"]);
});
