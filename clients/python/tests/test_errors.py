"""The typed errors mirror include/liaison/err.h and wire.proto's
ErrorCode exactly (names and numbers), so they cannot drift apart."""

import os
import re
import unittest

import liaison
from liaison import errors, wire_pb2

from _env import need


def err_h_codes():
    with open(os.path.join(need("LSN_SRC_DIR"), "include", "liaison",
                           "err.h"), encoding="utf-8") as f:
        text = f.read()
    body = text[text.index("enum lsn_err {"):]
    body = body[:body.index("};")]
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"(LSN_E\w+)\s*=\s*(-?\d+)", body)}


class TestErrors(unittest.TestCase):
    def test_table_equals_err_h(self):
        want = err_h_codes()
        self.assertGreater(len(want), 40)
        have = {name: code for code, name, _, _ in errors.ERRORS}
        self.assertEqual(have, want)

    def test_numbers_equal_wire_error_codes(self):
        wire = set(v for v in wire_pb2.ErrorCode.values() if v != 0)
        self.assertEqual(wire, {-c for c, _, _, _ in errors.ERRORS})

    def test_each_class(self):
        for code, name, cls, _ in errors.ERRORS:
            c = getattr(liaison, cls)
            self.assertTrue(issubclass(c, liaison.LiaisonError))
            self.assertIs(errors.error_class(code), c)
            e = errors.error_for(-code, "detail text")
            self.assertIsInstance(e, c)
            self.assertEqual((e.code, e.name, e.wire, e.detail),
                             (code, name, -code, "detail text"))

    def test_unknown_code_stays_typed(self):
        e = errors.error_for(999, "new")
        self.assertIs(type(e), liaison.LiaisonError)
        self.assertEqual(e.code, -999)

    def test_builtin_bases(self):
        self.assertTrue(issubclass(liaison.TimedOut, TimeoutError))
        self.assertTrue(issubclass(liaison.Closed, ConnectionError))
        self.assertTrue(issubclass(liaison.InvalidArgument, ValueError))


if __name__ == "__main__":
    unittest.main()
