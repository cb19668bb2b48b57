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
// one message per line. Shell and control replies (Router) are queued the
// same way, and a send made while a socket is still binding is retried
// (tslab, started under load, lost its first kernel_info_reply that way). The notebook client caps what it keeps, with a
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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Sends one message; while the socket is still binding (zeromq.js throws
// EBUSY then, which tslab would turn into a lost status or reply), retries.
async function sendOne(socket, send, frames) {
  for (let tries = 0; ; tries++) {
    try {
      return await send.call(socket, frames);
    } catch (err) {
      if (!(err && err.code === "EBUSY") || tries >= 500) throw err;
      await sleep(10);
    }
  }
}

async function pump(socket, send, st) {
  st.sending = true;
  while (st.queue.length) {
    const e = st.queue.shift();
    try {
      await sendOne(socket, send, e.merged ? serialize(e.stream) : e.frames);
    } catch (err) {
      fs.writeSync(2, `tslabKernel: a send failed: ${err && err.message}\n`); // (process.stderr goes to IOPub in a kernel)
    }
  }
  st.sending = false;
}

// Sends one at a time, in order; on IOPub, consecutive stream messages merge while one is in flight.
function queued(send, merge) {
  const states = new WeakMap();
  return function queuedSend(frames) {
    let st = states.get(this);
    if (!st) states.set(this, (st = { queue: [], sending: false }));
    const list = Array.isArray(frames) ? frames : [frames];
    if (!st.sending) {
      st.queue.push({ frames: list });
      void pump(this, send, st);
      return Promise.resolve();
    }
    const stream = merge ? parseStream(list) : null;
    const last = st.queue[st.queue.length - 1];
    if (stream && last && last.stream && last.stream.parent === stream.parent && last.stream.content.name === stream.content.name) {
      last.stream.content.text += stream.content.text;
      last.merged = true;
    } else {
      st.queue.push({ frames: list, stream });
    }
    return Promise.resolve();
  };
}

// (send is a read-only property of zeromq's Socket: shadow it on each class.)
for (const [cls, merge] of [[zmq.Publisher, true], [zmq.Router, false]]) {
  Object.defineProperty(cls.prototype, "send", { value: queued(cls.prototype.send, merge), writable: false, enumerable: false, configurable: true });
}

// tslab's converter, patched as it loads (see tslabPatches.js).
const Module = require("node:module");
const { patchConverterSource } = require("./tslabPatches.js");
const converterFile = path.join(tslabDir, "dist", "converter.js");
const loadJs = Module._extensions[".js"];
Module._extensions[".js"] = function (module, filename) {
  if (filename !== converterFile) return loadJs(module, filename);
  const { source, missing } = patchConverterSource(fs.readFileSync(filename, "utf8"));
  if (missing.length) fs.writeSync(2, `tslabKernel: tslab's converter changed; not patched: ${missing.join("; ")}\n`);
  module._compile(source, filename);
};

require(path.join(tslabDir, "dist", "main.js")).main();
