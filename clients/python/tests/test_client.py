"""The Python client against two real agents A and B (started by the
harness): every message type, the broker's verdict, the inbox's
exactly-once contract, and bad inputs that must give a typed error
rather than a hang. Only the public interface of the installed
package is used."""

import os
import socket
import time
import unittest

import liaison
from liaison import api_pb2, envelope_pb2 as env

from _env import need

A_API = need("LIAISON_TEST_A_API")
B_API = need("LIAISON_TEST_B_API")
A_ID = need("LIAISON_TEST_A_ID")
B_ID = need("LIAISON_TEST_B_ID")
TMP = need("LIAISON_TEST_TMP")
T = 20.0          # generous: the machine may be loaded


def rid():
    return os.urandom(16)


def wait_for(client, mtype, pred, timeout=60.0):
    """The first unacknowledged message of mtype whose body matches."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for it in client.inbox_list(wait=1.0, type=mtype):
            full = client.fetch(it.message_id)
            if pred(liaison.decode_body(full)):
                return full
    raise AssertionError("no matching message of type %d" % mtype)


class TestClient(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = liaison.Client(A_API, timeout=T)
        cls.b = liaison.Client(B_API, timeout=T)

    @classmethod
    def tearDownClass(cls):
        cls.a.close()
        cls.b.close()

    def test_installed_package_is_used(self):
        site = os.environ.get("PYTHONPATH", "").split(os.pathsep)[0]
        self.assertTrue(site and liaison.__file__.startswith(site),
                        liaison.__file__)

    def test_status_and_directory(self):
        st = self.a.status()
        self.assertEqual(st.partner, A_ID)
        self.assertTrue(st.connected)
        ids = [p.id for p in self.a.dir_query(partner_id=B_ID).partners]
        self.assertEqual(ids, [B_ID])

    def test_note_verdict_and_exactly_once_inbox(self):
        text = "Synthetic note %s" % rid().hex()
        mid = self.a.submit(env.Note(text=text), to=B_ID)
        self.assertEqual(len(mid), 16)
        st = self.a.wait_verdict(mid, timeout=60)
        self.assertEqual(st.state, api_pb2.OUTBOX_ACCEPTED)
        got = wait_for(self.b, env.MESSAGE_TYPE_NOTE,
                       lambda n: n.text == text)
        self.assertEqual(got.sender, A_ID)
        # not acknowledged: it is listed again (after a crash too)
        again = [i.message_id for i in
                 self.b.inbox_list(type=env.MESSAGE_TYPE_NOTE)]
        self.assertIn(got.message_id, again)
        self.b.ack(got.message_id)
        after = [i.message_id for i in
                 self.b.inbox_list(type=env.MESSAGE_TYPE_NOTE)]
        self.assertNotIn(got.message_id, after)
        acked = [i for i in self.b.inbox_list(type=env.MESSAGE_TYPE_NOTE,
                                              include_acked=True)
                 if i.message_id == got.message_id]
        self.assertTrue(acked and acked[0].acked)
        self.b.mark_read(got.message_id)

    def test_sender_reads_its_sealed_message(self):
        text = "Synthetic sealed %s" % rid().hex()
        mid = self.a.submit(env.Note(text=text), to=B_ID,
                            tlp=env.TLP_AMBER)
        self.a.wait_verdict(mid, timeout=60)
        got = wait_for(self.b, env.MESSAGE_TYPE_NOTE,
                       lambda n: n.text == text)
        self.b.ack(got.message_id)
        item = self.a.outbox_fetch(mid)
        self.assertEqual(item.message_id, mid)
        self.assertEqual(item.state, api_pb2.OUTBOX_ACCEPTED)
        self.assertEqual(item.tlp, env.TLP_AMBER)
        self.assertTrue(item.verified)
        self.assertTrue(item.envelope.envelope)
        self.assertEqual(liaison.decode_body(item).text, text)
        self.assertEqual(list(item.to), [B_ID])
        self.assertEqual([d.partner for d in item.deliveries], [B_ID])
        listed = [i for i in self.a.outbox_list(
            type=env.MESSAGE_TYPE_NOTE, recipient=B_ID)
            if i.message_id == mid]
        self.assertEqual(len(listed), 1)
        self.assertEqual(liaison.decode_body(listed[0]).text, text)
        # another agency's agent has no such sent message
        with self.assertRaises(liaison.NotFound):
            self.b.outbox_fetch(mid)

    def test_receive_acks_only_after_the_handler(self):
        text = "Synthetic receive %s" % rid().hex()
        mid = self.a.submit(env.Note(text=text), to=B_ID)
        self.a.wait_verdict(mid, timeout=60)
        wait_for(self.b, env.MESSAGE_TYPE_NOTE, lambda n: n.text == text)
        seen = []

        def failing(item, body):
            raise RuntimeError("case system down")

        with self.assertRaises(RuntimeError):
            self.b.receive(failing, wait=5, type=env.MESSAGE_TYPE_NOTE)

        def handler(item, body):
            seen.append(body.text)

        deadline = time.monotonic() + 60
        while text not in seen and time.monotonic() < deadline:
            self.b.receive(handler, wait=1, type=env.MESSAGE_TYPE_NOTE)
        self.assertEqual(seen.count(text), 1)
        self.assertEqual(self.b.receive(handler, wait=0,
                                        type=env.MESSAGE_TYPE_NOTE), 0)

    def test_every_message_type(self):
        now = int(time.time() * 1000)
        # referral: handoff (AMBER, sealed), B acknowledges
        r = rid()
        h = env.ReferralHandoff(referral_id=r, priority=env.PRIORITY_P2,
                                category=env.CATEGORY_SEXTORTION,
                                summary="Synthetic referral (Python)")
        h.jurisdiction.country = "DE"
        h.jurisdiction.basis = env.BASIS_VICTIM_LOCATION
        mid = self.a.submit(h, to=B_ID, tlp=env.TLP_AMBER)
        self.a.wait_verdict(mid, timeout=60)
        got = wait_for(self.b, env.MESSAGE_TYPE_REFERRAL_HANDOFF,
                       lambda x: x.referral_id == r)
        self.assertEqual(got.tlp, env.TLP_AMBER)
        self.b.ack(got.message_id)
        ack = env.ReferralResponse(referral_id=r,
                                   action=env.REFERRAL_ACK)
        self.b.wait_verdict(self.b.submit(ack, to=A_ID), timeout=60)
        # meeting notice and RSVP
        m = rid()
        n = env.MeetingNotice(meeting_id=m, version=1,
                              title="Synthetic working group",
                              kind=env.MEETING_WORKING_GROUP,
                              organiser_partner=A_ID, start_ms=now + 86400000,
                              end_ms=now + 90000000, time_zone="Europe/Lyon",
                              virtual_link="https://meet.example.org/x",
                              status=env.MEETING_SCHEDULED)
        self.a.wait_verdict(self.a.submit(n, to=B_ID), timeout=60)
        wait_for(self.b, env.MESSAGE_TYPE_MEETING_NOTICE,
                 lambda x: x.meeting_id == m)
        rsvp = env.MeetingResponse(meeting_id=m, version=1,
                                   answer=env.RSVP_TENTATIVE)
        self.b.wait_verdict(self.b.submit(rsvp, to=A_ID), timeout=60)
        # alert and its acknowledgement
        al = rid()
        alert = env.Alert(alert_id=al, kind=env.ALERT_THREAT_WARNING,
                          priority=env.PRIORITY_P3,
                          summary="Synthetic threat warning")
        self.a.wait_verdict(self.a.submit(alert, to=B_ID), timeout=60)
        wait_for(self.b, env.MESSAGE_TYPE_ALERT, lambda x: x.alert_id == al)
        self.b.wait_verdict(self.b.submit(env.AlertAck(alert_id=al,
                                                       text="seen"),
                                          to=A_ID), timeout=60)
        # A sees the referral acknowledgement and the RSVP
        wait_for(self.a, env.MESSAGE_TYPE_REFERRAL_RESPONSE,
                 lambda x: x.referral_id == r)
        wait_for(self.a, env.MESSAGE_TYPE_MEETING_RESPONSE,
                 lambda x: x.meeting_id == m)
        items = self.a.workflow_list(kind="referral", item_id=r)
        self.assertTrue(items)
        # a contact update needs a directory op signed by the agency:
        # refused by the agent with a typed error naming the field
        with self.assertRaises(liaison.InvalidArgument) as cm:
            self.a.submit(env.ContactUpdate(change=env.CONTACT_ADD,
                                            contact_id="desk"), to=B_ID)
        self.assertTrue(cm.exception.detail)
        self.assertEqual(cm.exception.wire, 2)

    def test_agent_refusals_are_typed(self):
        with self.assertRaises(liaison.InvalidArgument) as cm:
            self.a.submit(env.Note(), to=B_ID)  # no body at all
        self.assertTrue(cm.exception.detail)
        with self.assertRaises(liaison.TooBig):
            self.a.submit(env.Note(text="x" * 5000), to=B_ID)  # > 4096
        # GREEN to an unknown partner: queued by the agent, refused by
        # the broker; the verdict raises the broker's typed error
        mid = self.a.submit(env.Note(text="to nobody"), to="no-such-partner")
        with self.assertRaises(liaison.UnknownRecipient) as cm:
            self.a.wait_verdict(mid, timeout=60)
        self.assertEqual(cm.exception.wire, 26)
        st = self.a.outbox_status(mid)
        self.assertEqual(st.state, api_pb2.OUTBOX_REJECTED)
        with self.assertRaises(liaison.NotFound):
            self.b.fetch(rid())

    def test_too_large_body_is_refused_before_sending(self):
        with self.assertRaises(liaison.TooBig):
            self.a.submit(b"\0" * (liaison.REQUEST_MAX + 1),
                          type=env.MESSAGE_TYPE_NOTE, to=B_ID)
        self.assertTrue(self.a.status().connected)  # still usable

    def test_wrong_socket_path(self):
        with self.assertRaises(liaison.Closed):
            liaison.Client("ipc://%s/no-such/api.sock" % TMP)
        plain = os.path.join(TMP, "py-not-a-socket")
        open(plain, "w").close()
        with self.assertRaises(liaison.Closed):
            liaison.Client("ipc://" + plain)
        with self.assertRaises(liaison.InvalidArgument):
            liaison.Client("http://127.0.0.1/")

    def test_unreachable_agent_times_out(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        with liaison.Client("tcp://127.0.0.1:%d" % port, timeout=1) as c:
            with self.assertRaises(liaison.TimedOut):
                c.status()
            with self.assertRaises(TimeoutError):
                c.inbox_list(wait=0.5)

    def test_silent_peer_times_out(self):
        # a TCP listener that never answers: the call ends with TimedOut
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        try:
            port = s.getsockname()[1]
            with liaison.Client("tcp://127.0.0.1:%d" % port,
                                timeout=1) as c:
                with self.assertRaises(liaison.TimedOut):
                    c.status()
        finally:
            s.close()

    def test_curve_options_checked(self):
        with self.assertRaises(liaison.InvalidArgument):
            liaison.Client(A_API, curve_server_key=b"k" * 32)
        with self.assertRaises(liaison.InvalidArgument):
            liaison.Client("tcp://127.0.0.1:1", curve_server_key=b"short")

    def test_curve_tcp_round_trip(self):
        # A CURVE ZeroMQ ROUTER answering like the agent's tcp:// API
        # with an allow-list: the client's keys complete the handshake;
        # a wrong server key never does and the call ends with TimedOut.
        import threading
        import zmq
        spub, ssec = zmq.curve_keypair()
        ctx = zmq.Context()
        srv = ctx.socket(zmq.ROUTER)
        srv.linger = 0
        srv.curve_server = True
        srv.curve_secretkey = ssec
        port = srv.bind_to_random_port("tcp://127.0.0.1")

        def serve():
            if srv.poll(60000):
                frames = srv.recv_multipart()
                req = api_pb2.ApiRequest.FromString(frames[-1])
                resp = api_pb2.ApiResponse(request_id=req.request_id)
                resp.status.partner = "curve-peer"
                srv.send_multipart([frames[0], resp.SerializeToString()])

        t = threading.Thread(target=serve)
        t.start()
        try:
            cpub, csec = zmq.curve_keypair()
            ep = "tcp://127.0.0.1:%d" % port
            with liaison.Client(ep, timeout=T, curve_server_key=spub,
                                curve_public_key=cpub,
                                curve_secret_key=csec) as c:
                self.assertEqual(c.status().partner, "curve-peer")
            t.join()
            wrong, _ = zmq.curve_keypair()
            with liaison.Client(ep, timeout=1, curve_server_key=wrong) as c:
                with self.assertRaises(liaison.TimedOut):
                    c.status()
        finally:
            t.join()
            srv.close()
            ctx.term()

    def test_closed_client(self):
        c = liaison.Client(A_API, timeout=T)
        c.close()
        c.close()
        with self.assertRaises(liaison.Closed):
            c.status()

    def test_endpoint_from_conf(self):
        p = os.path.join(TMP, "py-agent.conf")
        with open(p, "w") as f:
            f.write("[agent]\ndb = /var/lib/liaison/x/agent.db\n")
        self.assertEqual(liaison.endpoint_from_conf(p),
                         "ipc:///var/lib/liaison/x/api.sock")
        with self.assertRaises(liaison.NotFound):
            liaison.endpoint_from_conf(p + ".missing")


if __name__ == "__main__":
    unittest.main()
