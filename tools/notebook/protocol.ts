// The Jupyter messaging protocol's wire format (jupyter_client's Session):
// messages as dicts, signed with HMAC-SHA256 over the four JSON parts, framed
// as [identities..., "<IDS|MSG>", signature, header, parent_header, metadata,
// content, buffers...]. No sockets here: the client sends and receives frames.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

/** The protocol version we speak (tslab answers 5.3; jupyter_client 7 says 5.3 too). */
export const PROTOCOL_VERSION = "5.3";

/** Separates routing identities from the signed message parts. */
export const DELIM = Buffer.from("<IDS|MSG>");

/** A message header (protocol 5.x). */
export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  username: string;
  session: string;
  date: string;
  version: string;
  [k: string]: unknown;
}

/** A Jupyter message, as jupyter_client's Session.msg() builds it. */
export interface JupyterMessage<C = Record<string, any>> {
  header: MessageHeader;
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

/** Options of {@link Session}. */
export interface JupyterSessionOptions {
  /** The HMAC key from the connection file; "" disables signing (as jupyter_client). */
  key: string;
  /** Only "hmac-sha256" is supported (the only scheme tslab and Jupyter use). */
  signatureScheme?: "hmac-sha256";
  /** Session id; a random UUID by default. */
  session?: string;
  username?: string;
}

/**
 * Builds, signs, serializes and parses Jupyter messages, as jupyter_client's
 * `Session` does: message ids are `<session>_<pid>_<n>`, signatures are the
 * hex HMAC-SHA256 of header, parent_header, metadata and content in that
 * order, and a message with a wrong or missing signature is rejected.
 *
 * @example
 * const session = new Session({ key: connection.key });
 * const msg = session.msg("execute_request", { code: "1 + 1", silent: false });
 * await shell.send(session.serialize(msg));
 * const { message } = session.deserialize(await shell.receive());
 */
export class Session {
  readonly key: string;
  readonly session: string;
  readonly username: string;
  private counter = 0;

  constructor(options: JupyterSessionOptions) {
    const unknown = Object.keys(options).filter((k) => !["key", "signatureScheme", "session", "username"].includes(k));
    if (unknown.length) throw new Error(`Session: unknown option(s) ${unknown.join(", ")}`);
    if (typeof options.key !== "string") throw new Error(`Session: key must be a string (the connection file's "key"), got ${typeof options.key}`);
    if (options.signatureScheme !== undefined && options.signatureScheme !== "hmac-sha256") {
      throw new Error(`Session: unsupported signature_scheme "${options.signatureScheme}" (only hmac-sha256)`);
    }
    this.key = options.key;
    this.session = options.session ?? randomUUID();
    this.username = options.username ?? "workbook";
  }

  /** A new message of `msgType`, replying to `parent` when given. */
  msg<C extends Record<string, any>>(msgType: string, content: C, parent?: JupyterMessage | Partial<MessageHeader>, metadata: Record<string, unknown> = {}): JupyterMessage<C> {
    const parentHeader = parent ? ("header" in parent && typeof parent.header === "object" ? (parent as JupyterMessage).header : (parent as Partial<MessageHeader>)) : {};
    return {
      header: {
        msg_id: `${this.session}_${process.pid}_${this.counter++}`,
        msg_type: msgType,
        username: this.username,
        session: this.session,
        date: new Date().toISOString(),
        version: PROTOCOL_VERSION,
      },
      parent_header: parentHeader,
      metadata,
      content,
      buffers: [],
    };
  }

  /** The hex HMAC-SHA256 of the parts ("" when the key is empty). */
  sign(parts: (Buffer | string)[]): string {
    if (!this.key) return "";
    const h = createHmac("sha256", this.key);
    for (const p of parts) h.update(p);
    return h.digest("hex");
  }

  /** The frames to send: identities, delimiter, signature, the four JSON parts, buffers. */
  serialize(msg: JupyterMessage, identities: Buffer[] = []): Buffer[] {
    const parts = [msg.header, msg.parent_header, msg.metadata, msg.content].map((p) => Buffer.from(JSON.stringify(p), "utf8"));
    return [...identities, DELIM, Buffer.from(this.sign(parts)), ...parts, ...msg.buffers];
  }

  /**
   * Parses received frames, checking the signature. Throws on a missing
   * delimiter, too few parts, an unsigned or badly signed message.
   */
  deserialize(frames: Buffer[]): { identities: Buffer[]; message: JupyterMessage } {
    const at = frames.findIndex((f) => f.equals(DELIM));
    if (at < 0) throw new Error("Jupyter message without the <IDS|MSG> delimiter");
    const rest = frames.slice(at + 1);
    if (rest.length < 5) throw new Error(`malformed Jupyter message: ${rest.length} parts after the delimiter, expected at least 5`);
    const [signature, ...parts] = rest;
    if (this.key) {
      if (signature.length === 0) throw new Error("unsigned Jupyter message (the key is set)");
      const expected = Buffer.from(this.sign(parts.slice(0, 4)));
      if (expected.length !== signature.length || !timingSafeEqual(expected, signature)) {
        throw new Error(`invalid Jupyter message signature ${signature.toString()}`);
      }
    }
    const json = (b: Buffer, what: string) => {
      try {
        return JSON.parse(b.toString("utf8"));
      } catch (err) {
        throw new Error(`Jupyter message ${what} is not JSON: ${(err as Error).message}`);
      }
    };
    return {
      identities: frames.slice(0, at),
      message: {
        header: json(parts[0], "header"),
        parent_header: json(parts[1], "parent_header"),
        metadata: json(parts[2], "metadata"),
        content: json(parts[3], "content"),
        buffers: parts.slice(4),
      },
    };
  }
}
