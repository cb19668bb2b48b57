// Jupyter message signatures of the wrong length: a clear "invalid signature"
// error, never crypto.timingSafeEqual's RangeError about buffer lengths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Session } from "../../tools/notebook/protocol";

const key = "a0436f6c-1916-498b-8eb9-e81ab9368e84";
const session = new Session({ key, session: "s" });
const frames = session.serialize(session.msg("execute_request", { code: "1 + 1", silent: false }));
const at = frames.findIndex((f) => f.toString() === "<IDS|MSG>");
const good = frames[at + 1].toString();

function withSignature(signature: string): Buffer[] {
  const copy = frames.slice();
  copy[at + 1] = Buffer.from(signature);
  return copy;
}

function rejected(signature: string): Error {
  let thrown: unknown;
  try {
    session.deserialize(withSignature(signature));
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown instanceof Error, `a signature of ${signature.length} characters was accepted`);
  // timingSafeEqual on unequal lengths throws RangeError ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH.
  assert.notEqual((thrown as NodeJS.ErrnoException).code, "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH");
  assert.ok(!(thrown instanceof RangeError), `a ${signature.length}-character signature crashed: ${(thrown as Error).message}`);
  return thrown as Error;
}

test("the untouched signature is 64 hex characters and is accepted", () => {
  assert.match(good, /^[0-9a-f]{64}$/);
  assert.deepEqual(session.deserialize(frames).message.content, { code: "1 + 1", silent: false });
});

test("a signature too short (hex of the right signature, cut) is rejected as invalid, without a crypto length error", () => {
  for (const sig of [good.slice(0, 63), good.slice(0, 32), good.slice(0, 1)]) {
    assert.equal(rejected(sig).message, `invalid Jupyter message signature ${sig}`);
  }
});

test("a signature too long (the right one with hex appended) is rejected as invalid, without a crypto length error", () => {
  for (const sig of [good + "0", good + "00", good + good]) {
    assert.equal(rejected(sig).message, `invalid Jupyter message signature ${sig}`);
  }
});

test("a signature of the right length but wrong content, or non-ASCII of another byte length, is rejected", () => {
  const flipped = (good[0] === "0" ? "1" : "0") + good.slice(1);
  assert.equal(rejected(flipped).message, `invalid Jupyter message signature ${flipped}`);
  // 64 characters but more than 64 bytes: the byte lengths differ although the string lengths match.
  const wide = "é" + good.slice(1);
  assert.equal(wide.length, good.length);
  assert.equal(rejected(wide).message, `invalid Jupyter message signature ${wide}`);
  assert.equal(rejected("").message, "unsigned Jupyter message (the key is set)");
});
