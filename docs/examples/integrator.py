#!/usr/bin/env python3
"""Liaison integrator example: a case-management system talking to its
local liaison-agent through the local API (proto/api.proto over ZeroMQ).

Agency A offers a referral to agency B; B's system picks it up from its
inbox, acknowledges it; A's system sees the acknowledgement. Each side
talks only to its own agent; the agents sign, seal (TLP:AMBER and
stronger), deliver and enforce the referral state machine.

Requirements (Debian): python3-zmq, python3-protobuf, protobuf-compiler.
The Python classes are generated from proto/*.proto with protoc into a
temporary directory at start-up (never committed).

usage: integrator.py --proto DIR --a-api EP --b-api EP --a-id ID --b-id ID
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time


def load_classes(proto_dir, out_dir):
    files = ["envelope.proto", "directory.proto", "wire.proto", "api.proto"]
    subprocess.run(["protoc", "-I", proto_dir, "--python_out", out_dir] +
                   [os.path.join(proto_dir, f) for f in files], check=True)
    sys.path.insert(0, out_dir)
    import api_pb2        # noqa: E402  (generated above)
    import envelope_pb2   # noqa: E402
    return api_pb2, envelope_pb2


class Agent:
    """One REQ socket to one agent's local API."""

    def __init__(self, zmq, api_pb2, endpoint, timeout_ms=15000):
        self.api = api_pb2
        self.sock = zmq.Context.instance().socket(zmq.REQ)
        self.sock.setsockopt(zmq.RCVTIMEO, timeout_ms)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.next_id = 1

    def call(self, req):
        req.request_id = self.next_id
        self.next_id += 1
        self.sock.send(req.SerializeToString())
        resp = self.api.ApiResponse()
        resp.ParseFromString(self.sock.recv())
        if resp.code != 0:
            raise RuntimeError("agent error %d: %s" % (resp.code,
                                                       resp.detail))
        return resp

    def submit(self, to, mtype, body, tlp, priority=None):
        req = self.api.ApiRequest()
        req.submit.to.append(to)
        req.submit.type = mtype
        req.submit.body = body.SerializeToString()
        if tlp is not None:    # None: a reply takes its thread's marking
            req.submit.handling.tlp = tlp
        if priority is not None:
            req.submit.priority = priority
        return self.call(req).submit.message_id

    def wait_for(self, mtype, match, timeout_s=20):
        """Long-polls the inbox for a message of mtype whose body
        satisfies match(body bytes); returns the item."""
        after = 0
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            req = self.api.ApiRequest()
            req.inbox_list.include_acked = True
            req.inbox_list.type = mtype
            req.inbox_list.after_seq = after
            req.inbox_list.wait_ms = 2000
            for item in self.call(req).inbox_list.items:
                after = max(after, item.local_seq)
                if match(item.body):
                    return item
        raise RuntimeError("timed out waiting for message type %d" % mtype)

    def mark(self, message_id, stage):
        req = self.api.ApiRequest()
        req.inbox_mark.message_id = message_id
        req.inbox_mark.stage = stage
        self.call(req)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--proto", required=True, help="directory of *.proto")
    ap.add_argument("--a-api", required=True)
    ap.add_argument("--b-api", required=True)
    ap.add_argument("--a-id", required=True)
    ap.add_argument("--b-id", required=True)
    args = ap.parse_args()

    import zmq
    with tempfile.TemporaryDirectory() as gen:
        api_pb2, env_pb2 = load_classes(args.proto, gen)
        a = Agent(zmq, api_pb2, args.a_api)
        b = Agent(zmq, api_pb2, args.b_api)

        # A offers a referral (TLP:AMBER: the agent seals it for B).
        ref = env_pb2.ReferralHandoff()
        ref.referral_id = os.urandom(16)
        ref.priority = env_pb2.PRIORITY_P2
        ref.category = env_pb2.CATEGORY_GROOMING
        ref.jurisdiction.country = "BE"
        ref.jurisdiction.basis = env_pb2.BASIS_VICTIM_LOCATION
        ref.summary = "Synthetic referral from the Python integrator"
        a.submit(args.b_id, env_pb2.MESSAGE_TYPE_REFERRAL_HANDOFF, ref,
                 env_pb2.TLP_AMBER, env_pb2.PRIORITY_P2)

        # B's system receives it, reads it, acknowledges it.
        def is_ref(body):
            h = env_pb2.ReferralHandoff()
            h.ParseFromString(body)
            return h.referral_id == ref.referral_id
        item = b.wait_for(env_pb2.MESSAGE_TYPE_REFERRAL_HANDOFF, is_ref)
        got = env_pb2.ReferralHandoff()
        got.ParseFromString(item.body)
        assert got.summary == ref.summary, "summary differs"
        assert item.sender == args.a_id, "unexpected sender"
        b.mark(item.message_id, api_pb2.MARK_READ)
        ack = env_pb2.ReferralResponse()
        ack.referral_id = ref.referral_id
        ack.action = env_pb2.REFERRAL_ACK
        # No TLP: the agent sends it at the referral's AMBER (sealed); an
        # explicit TLP weaker than the case's is refused (E_MARKING).
        b.submit(args.a_id, env_pb2.MESSAGE_TYPE_REFERRAL_RESPONSE, ack,
                 None)

        # A's system sees the acknowledgement.
        def is_ack(body):
            r = env_pb2.ReferralResponse()
            r.ParseFromString(body)
            return (r.referral_id == ref.referral_id and
                    r.action == env_pb2.REFERRAL_ACK)
        a.wait_for(env_pb2.MESSAGE_TYPE_REFERRAL_RESPONSE, is_ack)

        # Both agents track the referral as acknowledged.
        for agent in (a, b):
            req = api_pb2.ApiRequest()
            req.workflow_list.kind = "referral"
            req.workflow_list.item_id = ref.referral_id
            items = agent.call(req).workflow_list.items
            assert len(items) == 1 and items[0].state == "acknowledged", \
                "referral state %r" % [i.state for i in items]
    print("integrator example OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
