"""Client for the liaison-agent local API (protobuf over ZeroMQ).

One Client owns one ZeroMQ context and DEALER socket and is used by one
thread at a time (like the C client, include/liaison/client.h). Every call
has a timeout (the client's default, or ``timeout=`` in seconds); a late
answer to a call that timed out is recognised by request_id and dropped.
Errors are the typed exceptions of liaison.errors, never a hang.
"""

import configparser
import os
import stat
import time

import zmq

from . import errors
from .proto import api_pb2, directory_pb2, envelope_pb2, wire_pb2

__all__ = ["Client", "endpoint_from_conf", "REQUEST_MAX", "RESPONSE_MAX",
           "BODY_TYPES", "decode_body"]

REQUEST_MAX = 512 * 1024          # bytes the agent accepts per request
RESPONSE_MAX = 16 * 1024 * 1024   # bytes a response may have
WAIT_MAX_MS = 30000               # longest long poll the agent allows
DEFAULT_ENDPOINT_DIR = "/var/lib/liaison"

# The typed bodies an integrator submits, and the MessageType of each.
BODY_TYPES = {
    envelope_pb2.Note: envelope_pb2.MESSAGE_TYPE_NOTE,
    envelope_pb2.MeetingNotice: envelope_pb2.MESSAGE_TYPE_MEETING_NOTICE,
    envelope_pb2.MeetingResponse: envelope_pb2.MESSAGE_TYPE_MEETING_RESPONSE,
    envelope_pb2.ReferralHandoff: envelope_pb2.MESSAGE_TYPE_REFERRAL_HANDOFF,
    envelope_pb2.ReferralResponse:
        envelope_pb2.MESSAGE_TYPE_REFERRAL_RESPONSE,
    envelope_pb2.ContactUpdate: envelope_pb2.MESSAGE_TYPE_CONTACT_UPDATE,
    envelope_pb2.Alert: envelope_pb2.MESSAGE_TYPE_ALERT,
    envelope_pb2.AlertAck: envelope_pb2.MESSAGE_TYPE_ALERT_ACK,
}
_CLASS_OF_TYPE = {t: c for c, t in BODY_TYPES.items()}
_CLASS_OF_TYPE[envelope_pb2.MESSAGE_TYPE_CONTACT_CHECK] = \
    envelope_pb2.ContactCheck
_CLASS_OF_TYPE[envelope_pb2.MESSAGE_TYPE_CONTACT_CONFIRMED] = \
    envelope_pb2.ContactConfirmed


def decode_body(item):
    """The typed body (e.g. envelope_pb2.Note) of a fetched InboxItem."""
    cls = _CLASS_OF_TYPE.get(item.type)
    if cls is None:
        raise errors.ProtocolError("no body class for type %d" % item.type)
    try:
        return cls.FromString(item.body)
    except Exception as e:  # google.protobuf.message.DecodeError
        raise errors.ProtocolError("body does not parse: %s" % e) from None


def endpoint_from_conf(path):
    """The API endpoint of an agent from its configuration file, by the
    agent's rule: [agent] api, else ipc://<directory of [agent] db>/api.sock.
    NotFound (no file), ConfigError (neither option)."""
    cp = configparser.ConfigParser(interpolation=None, strict=False,
                                   inline_comment_prefixes=("#", ";"))
    try:
        with open(path, encoding="utf-8") as f:
            cp.read_file(f)
    except FileNotFoundError:
        raise errors.NotFound("no such file: %s" % path) from None
    except (OSError, configparser.Error, UnicodeError) as e:
        raise errors.ConfigError("%s: %s" % (path, e)) from None
    if cp.has_option("agent", "api"):
        return cp.get("agent", "api").strip()
    if cp.has_option("agent", "db"):
        d = os.path.dirname(cp.get("agent", "db").strip()) or "."
        return "ipc://%s/api.sock" % d
    raise errors.ConfigError("%s: neither [agent] api nor db" % path)


class Client:
    """A connection to one agent's local API.

    ``endpoint``: ``ipc:///path/api.sock`` (default, and what the agent
    binds) or ``tcp://127.0.0.1:PORT``. For ipc:// the socket must exist
    (Closed otherwise: no agent there). For tcp:// the optional CURVE keys
    (Z85 text or 32 raw bytes): ``curve_server_key`` the agent's public
    key, ``curve_public_key`` / ``curve_secret_key`` this client's pair
    (generated per client when only the server key is given).
    ``timeout``: default seconds per call.
    """

    def __init__(self, endpoint, timeout=5.0, curve_server_key=None,
                 curve_public_key=None, curve_secret_key=None):
        self._sock = None
        self._ctx = None
        if not isinstance(endpoint, str) or len(endpoint) > 255:
            raise errors.InvalidArgument("endpoint must be a string")
        if timeout is None or timeout <= 0:
            raise errors.InvalidArgument("timeout must be > 0 seconds")
        self.endpoint = endpoint
        self.timeout = float(timeout)
        if endpoint.startswith("ipc://"):
            path = endpoint[len("ipc://"):]
            try:
                st = os.stat(path)
            except OSError:
                raise errors.Closed("no agent socket at %s" % path) from None
            if not stat.S_ISSOCK(st.st_mode):
                raise errors.Closed("%s is not a socket" % path)
            if curve_server_key or curve_public_key or curve_secret_key:
                raise errors.InvalidArgument("CURVE keys need tcp://")
        elif not endpoint.startswith("tcp://"):
            raise errors.InvalidArgument("endpoint must be ipc:// or tcp://")
        self._ctx = zmq.Context()
        try:
            s = self._sock = self._ctx.socket(zmq.DEALER)
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.MAXMSGSIZE, RESPONSE_MAX + 4096)
            if curve_server_key:
                if not (curve_public_key and curve_secret_key):
                    curve_public_key, curve_secret_key = zmq.curve_keypair()
                s.curve_serverkey = _z85(curve_server_key)
                s.curve_publickey = _z85(curve_public_key)
                s.curve_secretkey = _z85(curve_secret_key)
            elif curve_public_key or curve_secret_key:
                raise errors.InvalidArgument("CURVE needs curve_server_key")
            s.connect(endpoint)
        except zmq.ZMQError as e:
            self.close()
            raise errors.InvalidArgument("endpoint %s: %s" % (endpoint, e)) \
                from None
        except errors.LiaisonError:
            self.close()
            raise
        self._next_id = int.from_bytes(os.urandom(6), "big")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Closes the socket and context; idempotent."""
        if self._sock is not None:
            self._sock.close(0)
            self._sock = None
        if self._ctx is not None:
            self._ctx.term()
            self._ctx = None

    # ---- the one round trip ------------------------------------------

    def request(self, req, timeout=None):
        """Sends an api_pb2.ApiRequest (its request_id is set here) and
        returns the ApiResponse. Raises the typed error of a non-OK code,
        TimedOut when no answer came in time, TooBig for a request over
        512 KiB, ProtocolError for an answer that does not parse."""
        if self._sock is None:
            raise errors.Closed("client is closed")
        t = self.timeout if timeout is None else float(timeout)
        if t <= 0:
            raise errors.InvalidArgument("timeout must be > 0 seconds")
        self._next_id = (self._next_id + 1) & ((1 << 63) - 1)
        rid = self._next_id
        req.request_id = rid
        data = req.SerializeToString()
        if len(data) > REQUEST_MAX:
            raise errors.TooBig("request of %d bytes, limit %d"
                                % (len(data), REQUEST_MAX))
        deadline = time.monotonic() + t
        if not self._wait(zmq.POLLOUT, deadline):
            raise errors.TimedOut("agent at %s not reachable" % self.endpoint)
        try:
            self._sock.send(data, zmq.NOBLOCK)
        except zmq.Again:
            raise errors.TimedOut("agent at %s not reachable"
                                  % self.endpoint) from None
        while self._wait(zmq.POLLIN, deadline):
            frames = self._sock.recv_multipart(zmq.NOBLOCK)
            resp = api_pb2.ApiResponse()
            try:
                resp.ParseFromString(frames[-1])
            except Exception:  # DecodeError
                raise errors.ProtocolError("unparseable response") from None
            if resp.request_id != rid:
                continue  # a late answer to an earlier call
            if resp.code != 0:
                err = errors.error_for(resp.code, resp.detail)
                # OutcomeInDoubt: err.response.submit.message_id
                err.response = resp
                raise err
            return resp
        raise errors.TimedOut("no answer from %s within %.1f s"
                              % (self.endpoint, t))

    def _wait(self, flag, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        return bool(self._sock.poll(max(1, int(left * 1000)), flag))

    # ---- sending -----------------------------------------------------

    def submit(self, body, to=(), to_groups=(), tlp=None, priority=None,
               handling=None, in_reply_to=None, case_ref=None,
               thread_id=None, expires_ms=None, type=None, timeout=None):
        """Signs (and seals, TLP:AMBER and stronger) a message through the
        agent and queues it; returns its 16-byte message id. ``body`` is a
        typed body (envelope_pb2.Note, ReferralHandoff, ...), or bytes with
        ``type``. The broker's verdict comes later: wait_verdict()."""
        req = api_pb2.ApiRequest()
        sub = req.submit
        if isinstance(body, (bytes, bytearray)):
            if type is None:
                raise errors.InvalidArgument("raw body needs type=")
            sub.body = bytes(body)
            sub.type = type
        else:
            t = BODY_TYPES.get(body.__class__)
            if t is None:
                raise errors.InvalidArgument(
                    "not a body type: %s" % body.__class__.__name__)
            sub.type = t if type is None else type
            sub.body = body.SerializeToString()
        if isinstance(to, str):
            to = [to]
        if isinstance(to_groups, str):
            to_groups = [to_groups]
        sub.to.extend(to)
        sub.to_groups.extend(to_groups)
        if handling is not None:
            sub.handling.CopyFrom(handling)
        if tlp is not None:
            sub.handling.tlp = tlp
        if priority is not None:
            sub.priority = priority
        if in_reply_to is not None:
            sub.in_reply_to = in_reply_to
        if case_ref is not None:
            sub.case_ref = case_ref
        if thread_id is not None:
            sub.thread_id = thread_id
        if expires_ms is not None:
            sub.expires_ms = expires_ms
        return self.request(req, timeout).submit.message_id

    def outbox_status(self, message_id, timeout=None):
        """The broker's verdict so far: api_pb2.OutboxStatusResponse."""
        req = api_pb2.ApiRequest()
        req.outbox_status.message_id = message_id
        return self.request(req, timeout).outbox_status

    def outbox_fetch(self, message_id, timeout=None):
        """One message this agency sent (api_pb2.OutboxItem): envelope,
        plaintext body (a sealed one opened by the agent with its own
        key), broker verdict and per-recipient receipts (deliveries).
        NotFound if it is not in this agent's outbox."""
        req = api_pb2.ApiRequest()
        req.outbox_fetch.message_id = message_id
        return self.request(req, timeout).outbox_fetch.item

    def outbox_list(self, type=None, recipient=None, since_ms=None,
                    limit=None, after_seq=None, timeout=None):
        """Sent messages, oldest first (list of api_pb2.OutboxItem, with
        bodies and deliveries, without envelopes); page with after_seq =
        the last item's local_seq."""
        req = api_pb2.ApiRequest()
        q = req.outbox_list
        q.SetInParent()
        if type is not None:
            q.type = type
        if recipient is not None:
            q.recipient = recipient
        if since_ms is not None:
            q.since_ms = since_ms
        if limit is not None:
            q.limit = limit
        if after_seq is not None:
            q.after_seq = after_seq
        return list(self.request(req, timeout).outbox_list.items)

    def wait_verdict(self, message_id, timeout=30.0, interval=0.1):
        """Waits until the broker accepted the message (returns the
        OutboxStatusResponse) or refused it (raises the typed error of the
        broker's code). TimedOut if still pending after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise errors.TimedOut("no verdict within %.1f s" % timeout)
            st = self.outbox_status(message_id,
                                    timeout=min(self.timeout, left))
            if st.state == api_pb2.OUTBOX_ACCEPTED:
                return st
            if st.state == api_pb2.OUTBOX_REJECTED:
                raise errors.error_for(st.publish_code or 4,
                                       st.publish_detail)
            time.sleep(min(interval, max(0.0, left)))

    # ---- the inbox: exactly once to the integrator ------------------

    def inbox_list(self, wait=0.0, type=None, sender=None,
                   include_acked=False, state=None, after_seq=None,
                   since_ms=None, limit=None, timeout=None):
        """Received messages, oldest first (no body: fetch()); ``wait``
        seconds (<= 30) long-polls while there are none. Unacknowledged
        ones only unless include_acked."""
        req = api_pb2.ApiRequest()
        il = req.inbox_list
        il.include_acked = bool(include_acked)
        wait_ms = int(wait * 1000)
        if wait_ms < 0 or wait_ms > WAIT_MAX_MS:
            raise errors.InvalidArgument("wait must be 0..30 s")
        if wait_ms:
            il.wait_ms = wait_ms
        if type is not None:
            il.type = type
        if sender is not None:
            il.sender = sender
        if state is not None:
            il.state = state
        if after_seq is not None:
            il.after_seq = after_seq
        if since_ms is not None:
            il.since_ms = since_ms
        if limit is not None:
            il.limit = limit
        t = (self.timeout if timeout is None else timeout) + wait_ms / 1000
        return list(self.request(req, t).inbox_list.items)

    def fetch(self, message_id, timeout=None):
        """One received message with its signed envelope and plaintext
        body (api_pb2.InboxItem; decode_body() gives the typed body)."""
        req = api_pb2.ApiRequest()
        req.inbox_fetch.message_id = message_id
        return self.request(req, timeout).inbox_fetch.item

    def mark(self, message_id, stage, timeout=None):
        """InboxMark: api_pb2.MARK_ACKED / MARK_READ / MARK_ACTIONED."""
        req = api_pb2.ApiRequest()
        req.inbox_mark.message_id = message_id
        req.inbox_mark.stage = stage
        self.request(req, timeout)

    def ack(self, message_id, timeout=None):
        """Acknowledges (takes over) a message: it leaves the unacked
        inbox. Call it after the message is processed and stored."""
        self.mark(message_id, api_pb2.MARK_ACKED, timeout)

    def mark_read(self, message_id, timeout=None):
        """Sends a signed READ receipt to the sender."""
        self.mark(message_id, api_pb2.MARK_READ, timeout)

    def mark_actioned(self, message_id, timeout=None):
        """Sends a signed ACTIONED receipt to the sender."""
        self.mark(message_id, api_pb2.MARK_ACTIONED, timeout)

    def receive(self, handler, wait=10.0, type=None, limit=None):
        """The exactly-once loop: for each unacknowledged message (waiting
        up to ``wait`` s for one), fetch it, call handler(item, body) and
        acknowledge it once the handler returned. If the handler raises,
        the message is not acknowledged and comes back on the next call
        (after a crash too), so the handler must store its result
        idempotently, keyed by item.message_id. Returns the count handled.
        """
        n = 0
        for it in self.inbox_list(wait=wait, type=type, limit=limit):
            full = self.fetch(it.message_id)
            handler(full, decode_body(full))
            self.ack(it.message_id)
            n += 1
        return n

    # ---- directory, status, workflows ---------------------------------

    def status(self, timeout=None):
        """api_pb2.StatusResponse: connection, directory head, counts."""
        req = api_pb2.ApiRequest()
        req.status.SetInParent()
        return self.request(req, timeout).status

    def dir_query(self, partner_id=None, search=None, group=None,
                  list_groups=False, timeout=None):
        """The verified directory replica (api_pb2.DirQueryResponse)."""
        req = api_pb2.ApiRequest()
        q = req.dir_query
        q.SetInParent()
        if partner_id is not None:
            q.partner_id = partner_id
        if search is not None:
            q.search = search
        if group is not None:
            q.group = group
        if list_groups:
            q.list_groups = True
        return self.request(req, timeout).dir_query

    def workflow_list(self, kind=None, state=None, overdue_only=False,
                      item_id=None, limit=None, timeout=None):
        """Tracked referrals and alerts (list of api_pb2.TrackedItem)."""
        req = api_pb2.ApiRequest()
        w = req.workflow_list
        w.SetInParent()
        if kind is not None:
            w.kind = kind
        if state is not None:
            w.state = state
        if overdue_only:
            w.overdue_only = True
        if item_id is not None:
            w.item_id = item_id
        if limit is not None:
            w.limit = limit
        return list(self.request(req, timeout).workflow_list.items)

    def custody(self, message_id, timeout=None):
        """A message's chain of custody (api_pb2.CustodyResponse)."""
        req = api_pb2.ApiRequest()
        req.custody.message_id = message_id
        return self.request(req, timeout).custody

    def meeting_show(self, meeting_id, timeout=None):
        """A meeting's RSVP roll-up (api_pb2.MeetingShowResponse)."""
        req = api_pb2.ApiRequest()
        req.meeting_show.meeting_id = meeting_id
        return self.request(req, timeout).meeting_show

    def events(self, after_event_id=0, wait=0.0, limit=None, timeout=None):
        """The agent's durable event stream (list of api_pb2.Event)."""
        req = api_pb2.ApiRequest()
        e = req.events
        e.after_event_id = after_event_id
        wait_ms = int(wait * 1000)
        if wait_ms < 0 or wait_ms > WAIT_MAX_MS:
            raise errors.InvalidArgument("wait must be 0..30 s")
        if wait_ms:
            e.wait_ms = wait_ms
        if limit is not None:
            e.limit = limit
        t = (self.timeout if timeout is None else timeout) + wait_ms / 1000
        return list(self.request(req, t).events.events)

    def dir_submit(self, signed_op, timeout=None):
        """Submits a directory op signed offline (directory_pb2.SignedDirOp
        or its bytes); returns the new revision."""
        req = api_pb2.ApiRequest()
        if isinstance(signed_op, (bytes, bytearray)):
            req.dir_submit.op.ParseFromString(bytes(signed_op))
        else:
            req.dir_submit.op.CopyFrom(signed_op)
        return self.request(req, timeout).dir_submit.rev

    def contact(self, action, contact=None, contact_id=None, timeout=None):
        """Changes this agency's own contacts ("set" with a
        directory_pb2.Contact, "remove" / "confirm" with contact_id)."""
        req = api_pb2.ApiRequest()
        c = req.contact
        c.action = action
        if contact is not None:
            c.contact.CopyFrom(contact)
        if contact_id is not None:
            c.contact_id = contact_id
        return self.request(req, timeout).dir_submit.rev


def _z85(key):
    if isinstance(key, str):
        key = key.encode("ascii")
    if len(key) == 32:
        return zmq.utils.z85.encode(key)
    if len(key) == 40:
        return key
    raise errors.InvalidArgument("a CURVE key is 32 bytes or 40 Z85 chars")


# re-exported for integrators: liaison.api_pb2 etc.
_ = (directory_pb2, wire_pb2)
