"""The Python version of the side-by-side task in docs/integrators.md
("The same task in C, Python and Node"), extracted from the document and
run against the real agents: A offers a referral, B has already answered
it (a crash before the inbox mark), B's process_referrals() handles it
once (the replayed answer's IllegalTransition is taken as done) and
acknowledges it; A sees B's acknowledgement."""

import importlib.util
import os
import time
import unittest

import liaison
from liaison import envelope_pb2 as env

from _env import need

MARK = "<!-- kit-example:python -->"


def extract(lang_mark):
    path = os.path.join(need("LSN_SRC_DIR"), "docs", "integrators.md")
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = lines.index(lang_mark) + 1
    while not lines[i].startswith("```"):
        i += 1
    j = lines.index("```", i + 1)
    return "\n".join(lines[i + 1:j]) + "\n"


class TestDocsExample(unittest.TestCase):
    def test_referrals_task_from_the_docs(self):
        tmp = need("LIAISON_TEST_TMP")
        src = os.path.join(tmp, "referrals_doc.py")
        with open(src, "w", encoding="utf-8") as f:
            f.write(extract(MARK))
        spec = importlib.util.spec_from_file_location("referrals_doc", src)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)

        a_id = need("LIAISON_TEST_A_ID")
        b_id = need("LIAISON_TEST_B_ID")
        with liaison.Client(need("LIAISON_TEST_A_API"), timeout=20) as a, \
                liaison.Client(need("LIAISON_TEST_B_API"), timeout=20) as b:
            rid = os.urandom(16)
            h = env.ReferralHandoff(referral_id=rid,
                                    priority=env.PRIORITY_P2,
                                    category=env.CATEGORY_GROOMING,
                                    summary="Synthetic referral (docs)")
            h.jurisdiction.country = "NL"
            h.jurisdiction.basis = env.BASIS_OFFENDER_LOCATION
            a.wait_verdict(a.submit(h, to=b_id, tlp=env.TLP_AMBER),
                           timeout=60)
            deadline = time.monotonic() + 60
            while not b.inbox_list(wait=1.0,
                                   type=env.MESSAGE_TYPE_REFERRAL_HANDOFF):
                self.assertLess(time.monotonic(), deadline)
            # answered before a crash, not yet marked in the inbox
            b.wait_verdict(b.submit(env.ReferralResponse(
                referral_id=rid, action=env.REFERRAL_ACK), to=a_id),
                timeout=60)
            # the claim of the docs: a second answer is E_TRANSITION
            with self.assertRaises(liaison.IllegalTransition):
                b.submit(env.ReferralResponse(referral_id=rid,
                                              action=env.REFERRAL_ACK),
                         to=a_id)
            n = 0
            while n == 0 and time.monotonic() < deadline:
                n = mod.process_referrals(b, wait=1.0)
            self.assertGreaterEqual(n, 1)
            self.assertEqual(b.inbox_list(
                type=env.MESSAGE_TYPE_REFERRAL_HANDOFF), [])
            self.assertEqual(mod.process_referrals(b, wait=0), 0)
            seen = False
            while not seen and time.monotonic() < deadline:
                for it in a.inbox_list(
                        wait=1.0, include_acked=True,
                        type=env.MESSAGE_TYPE_REFERRAL_RESPONSE):
                    body = liaison.decode_body(a.fetch(it.message_id))
                    seen = seen or body.referral_id == rid
            self.assertTrue(seen)


if __name__ == "__main__":
    unittest.main()
