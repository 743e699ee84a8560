// The Node client against two real agents A and B started by the harness:
// every message type, the broker's verdict, the inbox's exactly-once
// contract, and bad inputs that must reject with a typed error rather
// than hang. Only the package's public interface (@liaison/client).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import * as L from '@liaison/client';
import { need } from './env.js';

const A_API = need('LIAISON_TEST_A_API');
const B_API = need('LIAISON_TEST_B_API');
const A_ID = need('LIAISON_TEST_A_ID');
const B_ID = need('LIAISON_TEST_B_ID');
const TMP = need('LIAISON_TEST_TMP');
const T = 20000; // generous: the machine may be loaded
const MT = L.MessageType;
let a;
let b;

before(() => {
  a = new L.Client(A_API, { timeout: T });
  b = new L.Client(B_API, { timeout: T });
});
after(() => { a.close(); b.close(); });

// The first unacknowledged message of type whose body matches.
async function waitFor(c, type, pred, ms = 60000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    for (const it of await c.inboxList({ wait: 1000, type })) {
      const full = await c.fetch(it.message_id);
      if (pred(L.decodeBody(full))) return full;
    }
  }
  throw new Error(`no matching message of type ${type}`);
}

const same = (x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)) === 0;

test('status and directory', async () => {
  const st = await a.status();
  assert.equal(st.partner, A_ID);
  assert.equal(st.connected, true);
  const d = await a.dirQuery({ partner_id: B_ID });
  assert.deepEqual(d.partners.map((p) => p.id), [B_ID]);
});

test('note, verdict and the exactly-once inbox', async () => {
  const text = `Synthetic note ${randomBytes(8).toString('hex')}`;
  const id = await a.submit('Note', { text }, { to: B_ID });
  assert.equal(id.length, 16);
  const st = await a.waitVerdict(id, { timeout: 60000 });
  assert.equal(st.state, L.OutboxState.OUTBOX_ACCEPTED);
  const got = await waitFor(b, MT.MESSAGE_TYPE_NOTE, (n) => n.text === text);
  assert.equal(got.sender, A_ID);
  const listed = async (o = {}) => (await b.inboxList({
    type: MT.MESSAGE_TYPE_NOTE, ...o })).filter((i) =>
    same(i.message_id, got.message_id));
  assert.equal((await listed()).length, 1); // not acked: listed again
  await b.ack(got.message_id);
  assert.equal((await listed()).length, 0);
  const acked = await listed({ include_acked: true });
  assert.equal(acked[0].acked, true);
  await b.markRead(got.message_id);
});

test('the sender reads its own sealed message (outboxFetch, outboxList)',
  async () => {
    const text = `Synthetic sealed ${randomBytes(8).toString('hex')}`;
    const id = await a.submit('Note', { text },
      { to: B_ID, tlp: L.Tlp.TLP_AMBER });
    await a.waitVerdict(id, { timeout: 60000 });
    const got = await waitFor(b, MT.MESSAGE_TYPE_NOTE, (n) => n.text === text);
    await b.ack(got.message_id);
    const item = await a.outboxFetch(id);
    assert.ok(same(item.message_id, id));
    assert.equal(item.type, MT.MESSAGE_TYPE_NOTE);
    assert.equal(item.state, L.OutboxState.OUTBOX_ACCEPTED);
    assert.equal(item.tlp, L.Tlp.TLP_AMBER);
    assert.equal(item.verified, true);
    assert.ok(item.envelope.envelope.length > 0);
    assert.equal(L.decodeBody(item).text, text); // opened for its sender
    assert.deepEqual(item.to, [B_ID]);
    assert.deepEqual(item.deliveries.map((d) => d.partner), [B_ID]);
    const listed = (await a.outboxList({ type: MT.MESSAGE_TYPE_NOTE,
      recipient: B_ID })).filter((i) => same(i.message_id, id));
    assert.equal(listed.length, 1);
    assert.equal(L.decodeBody(listed[0]).text, text);
    assert.ok(listed[0].local_seq > 0);
    // paging: after its local_seq it is not listed again
    const later = await a.outboxList({ after_seq: listed[0].local_seq });
    assert.equal(later.filter((i) => same(i.message_id, id)).length, 0);
    // another agency's agent has no such sent message
    await assert.rejects(b.outboxFetch(id), L.NotFound);
  });

test('receive() acknowledges only after the handler', async () => {
  const text = `Synthetic receive ${randomBytes(8).toString('hex')}`;
  await a.waitVerdict(await a.submit('Note', { text }, { to: B_ID }),
    { timeout: 60000 });
  await waitFor(b, MT.MESSAGE_TYPE_NOTE, (n) => n.text === text);
  await assert.rejects(b.receive(async () => { throw new Error('down'); },
    { wait: 5000, type: MT.MESSAGE_TYPE_NOTE }), /down/);
  const seen = [];
  const deadline = Date.now() + 60000;
  while (!seen.includes(text) && Date.now() < deadline)
    await b.receive(async (_it, body) => { seen.push(body.text); },
      { wait: 1000, type: MT.MESSAGE_TYPE_NOTE });
  assert.equal(seen.filter((t) => t === text).length, 1);
  assert.equal(await b.receive(() => {}, { wait: 0,
    type: MT.MESSAGE_TYPE_NOTE }), 0);
});

test('every message type', async () => {
  const now = Date.now();
  const r = randomBytes(16);
  const hid = await a.submit('ReferralHandoff', {
    referral_id: r, priority: L.Priority.PRIORITY_P2, category: 4,
    summary: 'Synthetic referral (Node)',
    jurisdiction: { country: 'DE', basis: 3 },
  }, { to: B_ID, tlp: L.Tlp.TLP_AMBER });
  await a.waitVerdict(hid, { timeout: 60000 });
  const h = await waitFor(b, MT.MESSAGE_TYPE_REFERRAL_HANDOFF,
    (x) => same(x.referral_id, r));
  assert.equal(h.tlp, L.Tlp.TLP_AMBER);
  await b.ack(h.message_id);
  await b.waitVerdict(await b.submit('ReferralResponse',
    { referral_id: r, action: 1 }, { to: A_ID }), { timeout: 60000 });
  const m = randomBytes(16);
  await a.waitVerdict(await a.submit('MeetingNotice', {
    meeting_id: m, version: 1, title: 'Synthetic working group', kind: 2,
    organiser_partner: A_ID, start_ms: now + 86400000,
    end_ms: now + 90000000, time_zone: 'Europe/Lyon',
    virtual_link: 'https://meet.example.org/x', status: 1,
  }, { to: B_ID }), { timeout: 60000 });
  await waitFor(b, MT.MESSAGE_TYPE_MEETING_NOTICE, (x) => same(x.meeting_id, m));
  await b.waitVerdict(await b.submit('MeetingResponse',
    { meeting_id: m, version: 1, answer: 3 }, { to: A_ID }),
  { timeout: 60000 });
  const al = randomBytes(16);
  await a.waitVerdict(await a.submit('Alert', { alert_id: al, kind: 4,
    priority: L.Priority.PRIORITY_P3, summary: 'Synthetic threat warning' },
  { to: B_ID }), { timeout: 60000 });
  await waitFor(b, MT.MESSAGE_TYPE_ALERT, (x) => same(x.alert_id, al));
  await b.waitVerdict(await b.submit('AlertAck', { alert_id: al,
    text: 'seen' }, { to: A_ID }), { timeout: 60000 });
  await waitFor(a, MT.MESSAGE_TYPE_REFERRAL_RESPONSE,
    (x) => same(x.referral_id, r));
  await waitFor(a, MT.MESSAGE_TYPE_MEETING_RESPONSE,
    (x) => same(x.meeting_id, m));
  assert.ok((await a.workflowList({ kind: 'referral', item_id: r })).length);
  // a contact update needs a directory op signed by the agency
  await assert.rejects(a.submit('ContactUpdate', { change: 1,
    contact_id: 'desk' }, { to: B_ID }), (e) =>
    e instanceof L.InvalidArgument && e.wire === 2 && e.detail.length > 0);
});

test('agent and broker refusals are typed', async () => {
  await assert.rejects(a.submit('Note', {}, { to: B_ID }), L.InvalidArgument);
  await assert.rejects(a.submit('Note', { text: 'x'.repeat(5000) },
    { to: B_ID }), L.TooBig);
  const id = await a.submit('Note', { text: 'to nobody' },
    { to: 'no-such-partner' });
  await assert.rejects(a.waitVerdict(id, { timeout: 60000 }),
    (e) => e instanceof L.UnknownRecipient && e.wire === 26);
  await assert.rejects(b.fetch(randomBytes(16)), L.NotFound);
  await assert.rejects(a.submit('NoSuchType', {}), L.InvalidArgument);
});

test('too-large body is refused before sending', async () => {
  await assert.rejects(a.submit(MT.MESSAGE_TYPE_NOTE,
    Buffer.alloc(L.REQUEST_MAX + 1), { to: B_ID }), L.TooBig);
  assert.equal((await a.status()).connected, true);
});

test('wrong socket path', () => {
  assert.throws(() => new L.Client(`ipc://${TMP}/no-such/api.sock`), L.Closed);
  const plain = path.join(TMP, 'node-not-a-socket');
  writeFileSync(plain, '');
  assert.throws(() => new L.Client(`ipc://${plain}`), L.Closed);
  assert.throws(() => new L.Client('http://127.0.0.1/'), L.InvalidArgument);
});

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

test('unreachable agent times out', async () => {
  const c = new L.Client(`tcp://127.0.0.1:${await freePort()}`,
    { timeout: 1000 });
  try {
    await assert.rejects(c.status(), L.TimedOut);
    await assert.rejects(c.inboxList({ wait: 500 }), L.TimedOut);
  } finally {
    c.close();
  }
});

test('a silent peer times out', async () => {
  const s = net.createServer(() => {});
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const c = new L.Client(`tcp://127.0.0.1:${s.address().port}`,
    { timeout: 1000 });
  try {
    await assert.rejects(c.status(), L.TimedOut);
  } finally {
    c.close();
    s.close();
  }
});

test('CURVE options are checked', () => {
  assert.throws(() => new L.Client(A_API,
    { curveServerKey: Buffer.alloc(32) }), L.InvalidArgument);
  assert.throws(() => new L.Client('tcp://127.0.0.1:1',
    { curveServerKey: 'short' }), L.InvalidArgument);
});

test('CURVE over tcp://: round trip, wrong server key times out', async () => {
  // A CURVE ZeroMQ ROUTER answering like the agent's tcp:// API with an
  // allow-list: the client's keys complete the handshake; a wrong server
  // key never does and the call ends with TimedOut.
  const zmq = await import('zeromq');
  const server = zmq.curveKeyPair();
  const srv = new zmq.Router({ linger: 0, curveServer: true,
    curveSecretKey: server.secretKey });
  await srv.bind('tcp://127.0.0.1:*');
  const ep = srv.lastEndpoint;
  const served = (async () => {
    const [id, msg] = await srv.receive();
    const req = L.decode('ApiRequest', msg);
    await srv.send([id, L.encode('ApiResponse', { request_id: req.request_id,
      code: 0, status: { partner: 'curve-peer' } })]);
  })();
  const me = zmq.curveKeyPair();
  const c = new L.Client(ep, { timeout: T, curveServerKey: server.publicKey,
    curvePublicKey: me.publicKey, curveSecretKey: me.secretKey });
  const w = new L.Client(ep, { timeout: 1000,
    curveServerKey: zmq.curveKeyPair().publicKey });
  try {
    assert.equal((await c.status()).partner, 'curve-peer');
    await served;
    await assert.rejects(w.status(), L.TimedOut);
  } finally {
    c.close();
    w.close();
    srv.close();
  }
});

test('closed client', async () => {
  const c = new L.Client(A_API, { timeout: T });
  c.close();
  c.close();
  await assert.rejects(c.status(), L.Closed);
});

test('endpointFromConf', () => {
  const p = path.join(TMP, 'node-agent.conf');
  writeFileSync(p, '[agent]\ndb = /var/lib/liaison/x/agent.db\n');
  assert.equal(L.endpointFromConf(p), 'ipc:///var/lib/liaison/x/api.sock');
  assert.throws(() => L.endpointFromConf(`${p}.missing`), L.NotFound);
});
