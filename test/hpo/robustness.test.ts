// HPO loses nothing and keeps no zombies: storage URLs never show a password,
// impossible journal paths fail at once, a journal replay validates every
// operation, and RUNNING trials of dead workers are failed by heartbeat.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { createStudy, resolveStorage, PostgresStorage } from "../../lib/hpo";
import { redact } from "../../lib/hpo/storage/base";
import { setLogLevel } from "../../lib/utils/log";

setLogLevel("error");
const ROOT = path.resolve(__dirname, "..", "..");

function runWorker(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/hpo_worker.ts", "--quiet", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, out })));
}

test("redact hides the whole password, even one holding @ or :, in a URL alone or inside a message", () => {
  assert.equal(redact("postgres://user:secret@host/db"), "postgres://user:***@host/db");
  assert.equal(redact("postgresql://hpo:s3cret@db.internal:5432/hpo"), "postgresql://hpo:***@db.internal:5432/hpo");
  assert.equal(redact("postgresql://u:p@ss:w@rd@h:5432/db"), "postgresql://u:***@h:5432/db");
  assert.equal(redact('failed on "postgres://a:b@h/d" and postgres://c:e@h2/d2 too'), 'failed on "postgres://a:***@h/d" and postgres://c:***@h2/d2 too');
  assert.equal(redact("postgresql://hpo@db:5432/hpo?x=a@b"), "postgresql://hpo@db:5432/hpo?x=a@b", "no password: unchanged");
});

test("storage URLs are redacted in the errors of resolveStorage, PostgresStorage and an unreachable server", async () => {
  assert.throws(() => resolveStorage("mysql://u:topsecret@h/db"), (e: Error) => /Unknown storage "mysql:\/\/u:\*\*\*@h\/db"/.test(e.message) && !e.message.includes("topsecret"));
  assert.throws(() => new PostgresStorage("postgresql://u:topsecret@h:notaport/db"), (e: Error) => !e.message.includes("topsecret") && /\*\*\*/.test(e.message));
  const storage = new PostgresStorage("postgresql://u:topsecret@127.0.0.1:1/db", { connectTimeout: 2 });
  try {
    await assert.rejects(createStudy({ storage }), (e: Error) => /Cannot reach PostgreSQL at 127\.0\.0\.1:1/.test(e.message) && !e.message.includes("topsecret"));
  } finally {
    await storage.close();
  }
});

test("hpo:worker never prints a storage password (unknown scheme, unreachable server)", async () => {
  const common = ["--study", "s", "--trials", "1", "--objective", "rosenbrock"];
  for (const url of ["mysql://u:topsecret@h/db", "postgresql://u:topsecret@127.0.0.1:1/db"]) {
    const r = await runWorker(["--storage", url, ...common]);
    assert.equal(r.code, 1, r.out);
    assert.ok(!r.out.includes("topsecret"), `the password leaked: ${r.out}`);
    assert.match(r.out, /u:\*\*\*@|Cannot reach/);
  }
});

test("an impossible journal path fails at once with an error naming it", () => {
  for (const [file, why] of [
    ["/proc/x/y", /Cannot use journal file \/proc\/x\/y: cannot create the folder \/proc\/x/],
    ["/etc/passwd/study.jsonl", /Cannot use journal file \/etc\/passwd\/study\.jsonl: \/etc\/passwd is not a folder/],
    ["/dev/null", /Cannot use journal file \/dev\/null: it is not a regular file/],
  ] as const) {
    const t0 = Date.now();
    assert.throws(() => resolveStorage(`journal:${file}`), why);
    assert.ok(Date.now() - t0 < 2000, `${file}: took ${Date.now() - t0} ms`);
  }
});
