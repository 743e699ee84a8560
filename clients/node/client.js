// client.js -- Node client for the liaison-agent local API (protobuf over
// ZeroMQ), the same operations as the Python module (clients/python).
//
// One Client owns one DEALER socket; calls are queued and run one at a
// time. Every call has a timeout (the client's default or opts.timeout,
// in ms); an answer that arrives after its call timed out is recognised
// by request_id and dropped. Failures reject with the typed errors of
// errors.js, never a hang.

import { readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import protobuf from 'protobufjs';
import * as zmq from 'zeromq';

import * as errors from './errors.js';

export const REQUEST_MAX = 512 * 1024;        // bytes the agent accepts
export const RESPONSE_MAX = 16 * 1024 * 1024; // bytes a response may have
export const WAIT_MAX_MS = 30000;             // longest long poll

const PROTO_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)),
  'proto');

/** The liaison.v1 protobuf types (protobufjs reflection, field names as
 * in the .proto files: snake_case). */
export const proto = (() => {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) =>
    path.join(PROTO_DIR, path.basename(target));
  root.loadSync('api.proto', { keepCase: true });
  root.resolveAll();
  return root;
})();

const T = (name) => proto.lookupType(`liaison.v1.${name}`);
const E = (name) => proto.lookupEnum(`liaison.v1.${name}`).values;
const ApiRequest = T('ApiRequest');
const ApiResponse = T('ApiResponse');

/** Enums by name: MessageType.MESSAGE_TYPE_NOTE, Tlp.TLP_AMBER, ... */
export const MessageType = E('MessageType');
export const Tlp = E('Tlp');
export const Priority = E('Priority');
export const MarkStage = E('MarkStage');
export const OutboxState = E('OutboxState');
export const InboxState = E('InboxState');

/** Body type name -> MessageType, for submit(). */
export const BODY_TYPES = {
  Note: MessageType.MESSAGE_TYPE_NOTE,
  MeetingNotice: MessageType.MESSAGE_TYPE_MEETING_NOTICE,
  MeetingResponse: MessageType.MESSAGE_TYPE_MEETING_RESPONSE,
  ReferralHandoff: MessageType.MESSAGE_TYPE_REFERRAL_HANDOFF,
  ReferralResponse: MessageType.MESSAGE_TYPE_REFERRAL_RESPONSE,
  ContactUpdate: MessageType.MESSAGE_TYPE_CONTACT_UPDATE,
  Alert: MessageType.MESSAGE_TYPE_ALERT,
  AlertAck: MessageType.MESSAGE_TYPE_ALERT_ACK,
};
const CLASS_OF_TYPE = new Map(Object.entries(BODY_TYPES).map(([n, t]) =>
  [t, n]));
CLASS_OF_TYPE.set(MessageType.MESSAGE_TYPE_CONTACT_CHECK, 'ContactCheck');
CLASS_OF_TYPE.set(MessageType.MESSAGE_TYPE_CONTACT_CONFIRMED,
  'ContactConfirmed');

const OBJ = { longs: Number, enums: Number, defaults: false, oneofs: true };

/** Plain object of a protobuf message of type `name` (decode). */
export function decode(name, bytes) {
  const t = T(name);
  let m;
  try {
    m = t.decode(bytes);
  } catch (e) {
    throw new errors.ProtocolError(`${name} does not parse: ${e.message}`);
  }
  return t.toObject(m, OBJ);
}

/** Serialized bytes of a plain object as protobuf type `name`. */
export function encode(name, obj) {
  const t = T(name);
  const why = t.verify(obj);
  if (why) throw new errors.InvalidArgument(`${name}: ${why}`);
  return Buffer.from(t.encode(t.fromObject(obj)).finish());
}

/** The typed body (plain object) of a fetched inbox item. */
export function decodeBody(item) {
  const name = CLASS_OF_TYPE.get(item.type);
  if (!name) throw new errors.ProtocolError(`no body type for ${item.type}`);
  return decode(name, item.body ?? Buffer.alloc(0));
}

/** The API endpoint from an agent configuration file, by the agent's
 * rule: [agent] api, else ipc://<directory of [agent] db>/api.sock. */
export function endpointFromConf(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT') throw new errors.NotFound(`no such file: ${file}`);
    throw new errors.ConfigError(`${file}: ${e.message}`);
  }
  let section = '';
  const opts = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const s = /^\[(.+)\]$/.exec(line);
    if (s) { section = s[1].trim(); continue; }
    const kv = /^([^=]+)=(.*)$/.exec(line);
    if (kv && section === 'agent') opts[kv[1].trim()] = kv[2].trim();
  }
  if (opts.api) return opts.api;
  if (opts.db) return `ipc://${path.dirname(opts.db)}/api.sock`;
  throw new errors.ConfigError(`${file}: neither [agent] api nor db`);
}

function z85(key, what) {
  if (typeof key === 'string' && key.length === 40) return key;
  if (Buffer.isBuffer(key) && key.length === 32) return key;
  throw new errors.InvalidArgument(`${what}: 32 bytes or 40 Z85 chars`);
}

function sec(ms) { return (ms / 1000).toFixed(1); }

export class Client {
  /**
   * endpoint: "ipc:///path/api.sock" (what the agent binds by default; the
   * socket must exist, else Closed) or "tcp://127.0.0.1:PORT".
   * opts.timeout: default ms per call (5000).
   * opts.curveServerKey (the agent's public key), opts.curvePublicKey /
   * opts.curveSecretKey (this client's pair; generated when only the
   * server key is given): tcp:// only; Z85 text or 32-byte Buffers.
   */
  constructor(endpoint, opts = {}) {
    if (typeof endpoint !== 'string' || endpoint.length > 255)
      throw new errors.InvalidArgument('endpoint must be a string');
    this.endpoint = endpoint;
    this.timeout = opts.timeout ?? 5000;
    if (!(this.timeout > 0))
      throw new errors.InvalidArgument('timeout must be > 0 ms');
    const curve = opts.curveServerKey || opts.curvePublicKey ||
      opts.curveSecretKey;
    if (endpoint.startsWith('ipc://')) {
      const p = endpoint.slice('ipc://'.length);
      let st;
      try {
        st = statSync(p);
      } catch {
        throw new errors.Closed(`no agent socket at ${p}`);
      }
      if (!st.isSocket()) throw new errors.Closed(`${p} is not a socket`);
      if (curve) throw new errors.InvalidArgument('CURVE keys need tcp://');
    } else if (!endpoint.startsWith('tcp://')) {
      throw new errors.InvalidArgument('endpoint must be ipc:// or tcp://');
    }
    const o = { linger: 0, maxMessageSize: RESPONSE_MAX + 4096 };
    if (curve) {
      if (!opts.curveServerKey)
        throw new errors.InvalidArgument('CURVE needs curveServerKey');
      let pub = opts.curvePublicKey;
      let sk = opts.curveSecretKey;
      if (!pub || !sk) ({ publicKey: pub, secretKey: sk } = zmq.curveKeyPair());
      o.curveServerKey = z85(opts.curveServerKey, 'curveServerKey');
      o.curvePublicKey = z85(pub, 'curvePublicKey');
      o.curveSecretKey = z85(sk, 'curveSecretKey');
    }
    this._sock = new zmq.Dealer(o);
    try {
      this._sock.connect(endpoint);
    } catch (e) {
      this._sock.close();
      this._sock = null;
      throw new errors.InvalidArgument(`endpoint ${endpoint}: ${e.message}`);
    }
    this._next = randomBytes(4).readUInt32BE(0);
    this._queue = Promise.resolve();
  }

  /** Closes the socket; idempotent. Pending calls reject with Closed. */
  close() {
    if (this._sock) {
      this._sock.close();
      this._sock = null;
    }
  }

  /**
   * Sends an ApiRequest given as a plain object ({ status: {} },
   * { submit: {...} }, ...; request_id is set here) and resolves with the
   * ApiResponse as a plain object. Rejects with the typed error of a
   * non-OK code, TimedOut, TooBig (request over 512 KiB), ProtocolError.
   */
  request(req, opts = {}) {
    const run = () => this._request(req, opts.timeout ?? this.timeout);
    const p = this._queue.then(run, run);
    this._queue = p.catch(() => {});
    return p;
  }

  async _request(req, timeout) {
    if (!this._sock) throw new errors.Closed('client is closed');
    if (!(timeout > 0))
      throw new errors.InvalidArgument('timeout must be > 0 ms');
    this._next = (this._next + 1) % Number.MAX_SAFE_INTEGER;
    const rid = this._next;
    const data = encode('ApiRequest', { ...req, request_id: rid });
    if (data.length > REQUEST_MAX)
      throw new errors.TooBig(
        `request of ${data.length} bytes, limit ${REQUEST_MAX}`);
    const deadline = Date.now() + timeout;
    const sock = this._sock;
    try {
      sock.sendTimeout = Math.max(1, deadline - Date.now());
      await sock.send(data);
    } catch (e) {
      throw this._failed(e, `agent at ${this.endpoint} not reachable`);
    }
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let frames;
      try {
        sock.receiveTimeout = left;
        frames = await sock.receive();
      } catch (e) {
        throw this._failed(e,
          `no answer from ${this.endpoint} within ${sec(timeout)} s`);
      }
      const resp = decode('ApiResponse', frames[frames.length - 1]);
      if ((resp.request_id ?? 0) !== rid) continue; // a late answer
      if (resp.code) {
        const err = errors.errorFor(resp.code, resp.detail ?? '');
        err.response = resp; // OutcomeInDoubt: err.response.submit.message_id
        throw err;
      }
      return resp;
    }
    throw new errors.TimedOut(
      `no answer from ${this.endpoint} within ${sec(timeout)} s`);
  }

  _failed(e, text) {
    if (e && e.code === 'EAGAIN') return new errors.TimedOut(text);
    if (!this._sock || (e && (e.code === 'EBADF' || e.code === 'ETERM')))
      return new errors.Closed('client is closed');
    return new errors.IOFailure(`${text}: ${e && e.message}`);
  }

  // ---- sending --------------------------------------------------------

  /**
   * Signs (and seals, TLP:AMBER and stronger) a message through the agent
   * and queues it; resolves with its 16-byte message id (Buffer).
   * type: a body type name ("Note", "ReferralHandoff", ... see BODY_TYPES)
   * with body a plain object, or a MessageType number with body a Buffer.
   * opts: to, to_groups (string or array), tlp, priority, handling,
   * in_reply_to, case_ref, thread_id, expires_ms, timeout.
   */
  async submit(type, body, opts = {}) {
    let t;
    let bytes;
    if (typeof type === 'string') {
      t = BODY_TYPES[type];
      if (t === undefined)
        throw new errors.InvalidArgument(`not a body type: ${type}`);
      bytes = encode(type, body);
    } else {
      if (!Buffer.isBuffer(body))
        throw new errors.InvalidArgument('a numeric type needs a Buffer body');
      t = type;
      bytes = body;
    }
    const list = (v) => (v === undefined ? [] : [].concat(v));
    const sub = { type: t, body: bytes, to: list(opts.to),
      to_groups: list(opts.to_groups) };
    const handling = { ...(opts.handling ?? {}) };
    if (opts.tlp !== undefined) handling.tlp = opts.tlp;
    if (Object.keys(handling).length) sub.handling = handling;
    for (const k of ['priority', 'in_reply_to', 'case_ref', 'thread_id',
      'expires_ms'])
      if (opts[k] !== undefined) sub[k] = opts[k];
    const r = await this.request({ submit: sub }, opts);
    return r.submit.message_id;
  }

  /** The broker's verdict so far: { state, publish_code, publish_detail }. */
  async outboxStatus(messageId, opts = {}) {
    const r = await this.request({ outbox_status: { message_id: messageId } },
      opts);
    return r.outbox_status;
  }

  /** One message this agency sent: envelope, plaintext body (a sealed
   * one opened by the agent with its own key), broker verdict and
   * per-recipient receipts (deliveries). NotFound if not in our outbox. */
  async outboxFetch(messageId, opts = {}) {
    const r = await this.request({ outbox_fetch: { message_id: messageId } },
      opts);
    return r.outbox_fetch.item;
  }

  /** Sent messages, oldest first, with bodies and deliveries (q: type,
   * recipient, since_ms, limit, after_seq). */
  async outboxList(q = {}, opts = {}) {
    const r = await this.request({ outbox_list: q }, opts);
    return r.outbox_list.items ?? [];
  }

  /** Resolves once the broker accepted the message; rejects with the
   * typed error of the broker's code when it refused it, TimedOut when
   * still pending after opts.timeout ms (30000). */
  async waitVerdict(messageId, opts = {}) {
    const total = opts.timeout ?? 30000;
    const deadline = Date.now() + total;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new errors.TimedOut(`no verdict within ${sec(total)} s`);
      const st = await this.outboxStatus(messageId,
        { timeout: Math.min(this.timeout, left) });
      if (st.state === OutboxState.OUTBOX_ACCEPTED) return st;
      if (st.state === OutboxState.OUTBOX_REJECTED)
        throw errors.errorFor(st.publish_code || 4, st.publish_detail ?? '');
      await new Promise((r) => setTimeout(r, Math.min(100, left)));
    }
  }

  // ---- the inbox: exactly once to the integrator -------------------

  /** Received messages, oldest first, without body (fetch()).
   * opts: wait (ms, <= 30000: long poll while empty), type, sender,
   * include_acked, state, after_seq, since_ms, limit, timeout. */
  async inboxList(opts = {}) {
    const wait = opts.wait ?? 0;
    if (!(wait >= 0 && wait <= WAIT_MAX_MS))
      throw new errors.InvalidArgument('wait must be 0..30000 ms');
    const il = { include_acked: !!opts.include_acked };
    if (wait) il.wait_ms = wait;
    for (const k of ['type', 'sender', 'state', 'after_seq', 'since_ms',
      'limit'])
      if (opts[k] !== undefined) il[k] = opts[k];
    const r = await this.request({ inbox_list: il },
      { timeout: (opts.timeout ?? this.timeout) + wait });
    return r.inbox_list.items ?? [];
  }

  /** One message with its signed envelope and plaintext body. */
  async fetch(messageId, opts = {}) {
    const r = await this.request({ inbox_fetch: { message_id: messageId } },
      opts);
    return r.inbox_fetch.item;
  }

  /** InboxMark with MarkStage.MARK_ACKED / MARK_READ / MARK_ACTIONED. */
  async mark(messageId, stage, opts = {}) {
    await this.request({ inbox_mark: { message_id: messageId, stage } },
      opts);
  }

  /** Acknowledges (takes over) a message, after it is processed. */
  ack(messageId, opts) { return this.mark(messageId, MarkStage.MARK_ACKED, opts); }

  /** Sends a signed READ receipt to the sender. */
  markRead(messageId, opts) { return this.mark(messageId, MarkStage.MARK_READ, opts); }

  /** Sends a signed ACTIONED receipt to the sender. */
  markActioned(messageId, opts) {
    return this.mark(messageId, MarkStage.MARK_ACTIONED, opts);
  }

  /**
   * The exactly-once loop: for each unacknowledged message (waiting up to
   * opts.wait ms, default 10000, for one), fetch it, await
   * handler(item, body) and acknowledge it once the handler resolved. If
   * the handler throws, the message is not acknowledged and comes back on
   * the next call (after a crash too): store results idempotently, keyed
   * by item.message_id. Resolves with the count handled.
   */
  async receive(handler, opts = {}) {
    let n = 0;
    const items = await this.inboxList({ wait: opts.wait ?? 10000,
      type: opts.type, limit: opts.limit });
    for (const it of items) {
      const full = await this.fetch(it.message_id);
      await handler(full, decodeBody(full));
      await this.ack(it.message_id);
      n++;
    }
    return n;
  }

  // ---- directory, status, workflows -----------------------------------

  async status(opts = {}) {
    return (await this.request({ status: {} }, opts)).status;
  }

  /** q: { partner_id, search, group, list_groups }. */
  async dirQuery(q = {}, opts = {}) {
    return (await this.request({ dir_query: q }, opts)).dir_query;
  }

  /** q: { kind, state, overdue_only, item_id, limit }. */
  async workflowList(q = {}, opts = {}) {
    const r = await this.request({ workflow_list: q }, opts);
    return r.workflow_list.items ?? [];
  }

  async custody(messageId, opts = {}) {
    return (await this.request({ custody: { message_id: messageId } },
      opts)).custody;
  }

  async meetingShow(meetingId, opts = {}) {
    return (await this.request({ meeting_show: { meeting_id: meetingId } },
      opts)).meeting_show;
  }

  /** The durable event stream after event id `after` (opts.wait ms). */
  async events(after = 0, opts = {}) {
    const wait = opts.wait ?? 0;
    if (!(wait >= 0 && wait <= WAIT_MAX_MS))
      throw new errors.InvalidArgument('wait must be 0..30000 ms');
    const q = { after_event_id: after };
    if (wait) q.wait_ms = wait;
    if (opts.limit !== undefined) q.limit = opts.limit;
    const r = await this.request({ events: q },
      { timeout: (opts.timeout ?? this.timeout) + wait });
    return r.events.events ?? [];
  }

  /** A directory op signed offline (SignedDirOp object); the new rev. */
  async dirSubmit(op, opts = {}) {
    return (await this.request({ dir_submit: { op } }, opts)).dir_submit.rev;
  }

  /** This agency's own contacts: { action, contact, contact_id }. */
  async contact(c, opts = {}) {
    return (await this.request({ contact: c }, opts)).dir_submit?.rev;
  }
}
