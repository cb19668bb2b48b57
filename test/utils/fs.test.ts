// Atomic writes (lib/utils/fs.ts): no temporary file left on failure; a full disk names the file.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tmpDir } from "../helpers/setup";
import { explainWriteError, writeFileAtomic, writeJsonAtomic } from "../../lib/utils/fs";

const nodeFs: typeof import("node:fs") = require("node:fs");

test("writeFileAtomic: a full disk says 'disk full' and names the file and its size; the old file and no temp file remain", () => {
  const dir = tmpDir();
  const file = path.join(dir, "summary.json");
  writeJsonAtomic(file, { accuracy: 0.5 });
  const real = nodeFs.writeFileSync;
  nodeFs.writeFileSync = (() => {
    throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", errno: -28, syscall: "write" });
  }) as typeof fs.writeFileSync;
  try {
    assert.throws(() => writeFileAtomic(file, new Uint8Array(3 * 2 ** 20)), (err: Error & { code?: string; cause?: Error }) => {
      assert.equal(err.message, `disk full: could not write ${file} (3.0 MB): ENOSPC: no space left on device, write`);
      assert.equal(err.code, "ENOSPC");
      assert.equal(err.cause?.message, "ENOSPC: no space left on device, write");
      return true;
    });
    assert.throws(() => writeJsonAtomic(file, { accuracy: 0.9 }), /^Error: disk full: could not write .*summary\.json \(\d+ bytes\)/);
  } finally {
    nodeFs.writeFileSync = real;
  }
  assert.deepEqual(fs.readdirSync(dir), ["summary.json"]);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), { accuracy: 0.5 });
  // Other errors pass through unchanged; a quota says so.
  const eio = Object.assign(new Error("EIO"), { code: "EIO" });
  assert.equal(explainWriteError(eio, file), eio);
  assert.match((explainWriteError(Object.assign(new Error("EDQUOT: disk quota exceeded"), { code: "EDQUOT" }), file) as Error).message, /^disk quota exceeded: could not write .*summary\.json: EDQUOT/);
});
