#!/usr/bin/env node
// The tslab kernel with lossless output: registered as the tslab kernel's
// binary by `npm run setup:notebooks` (same argv as node_modules/.bin/tslab).
//
// tslab sends one IOPub message per write to stdout/stderr and never waits
// for the send. zeromq.js 6 refuses a send while the previous one is still
// queued (EBUSY, thrown), and Node's console swallows that error: a cell that
// prints 500,000 lines in a loop kept its first ~510, silently. Here the
// IOPub socket's sends go through a queue, one at a time; while a send waits,
// consecutive stream messages of the same cell and stream are merged into one
// (re-signed with the connection's key), so the queue holds the text, never
// one message per line. The notebook client caps what it keeps, with a
// visible marker (tools/notebook/outputs.ts).
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const tslabDir = path.dirname(require.resolve("tslab/package.json", { paths: [process.cwd(), __dirname] }));
const zmq = require(require.resolve("zeromq", { paths: [tslabDir] }));
const args = process.argv.slice(2);
const at = args.indexOf("--config-path");
const key = at >= 0 && args[at + 1] ? JSON.parse(fs.readFileSync(args[at + 1], "utf8")).key : "";
const DELIM = "<IDS|MSG>";

// The parts of a stream message (frames as tslab's signAndSend builds them), or null for any other.
function parseStream(frames) {
  const d = frames.findIndex((f) => String(f) === DELIM);
  if (d < 0 || frames.length < d + 6) return null;
  try {
    const header = JSON.parse(String(frames[d + 2]));
    if (header.msg_type !== "stream") return null;
    const content = JSON.parse(String(frames[d + 5]));
    if (typeof content.text !== "string") return null;
    return { idents: frames.slice(0, d), header, parent: String(frames[d + 3]), metadata: String(frames[d + 4]), content, extra: frames.slice(d + 6).map(String) };
  } catch {
    return null;
  }
}

function serialize(m) {
  const bodies = [JSON.stringify(m.header), m.parent, m.metadata, JSON.stringify(m.content), ...m.extra];
  const hmac = crypto.createHmac("sha256", key);
  for (const b of bodies) hmac.update(b);
  return [...m.idents, DELIM, key ? hmac.digest("hex") : "", ...bodies];
}

const send = zmq.Publisher.prototype.send;
const states = new WeakMap();

async function pump(socket, st) {
  st.sending = true;
  while (st.queue.length) {
    const e = st.queue.shift();
    try {
      await send.call(socket, e.merged ? serialize(e.stream) : e.frames);
    } catch (err) {
      fs.writeSync(2, `tslabKernel: an IOPub send failed: ${err && err.message}\n`); // (process.stderr goes to IOPub in a kernel)
    }
  }
  st.sending = false;
}

// (send is a read-only property of zeromq's Socket: shadow it on Publisher.)
function queuedSend(frames) {
  let st = states.get(this);
  if (!st) states.set(this, (st = { queue: [], sending: false }));
  const list = Array.isArray(frames) ? frames : [frames];
  if (!st.sending) {
    st.queue.push({ frames: list });
    void pump(this, st);
    return Promise.resolve();
  }
  const stream = parseStream(list);
  const last = st.queue[st.queue.length - 1];
  if (stream && last && last.stream && last.stream.parent === stream.parent && last.stream.content.name === stream.content.name) {
    last.stream.content.text += stream.content.text;
    last.merged = true;
  } else {
    st.queue.push({ frames: list, stream });
  }
  return Promise.resolve();
}
Object.defineProperty(zmq.Publisher.prototype, "send", { value: queuedSend, writable: false, enumerable: false, configurable: true });

require(path.join(tslabDir, "dist", "main.js")).main();
