"""The shipped generated classes equal a fresh protoc run over proto/
(clients/python/gen-proto.sh): a .proto change without regenerating
fails here. Compares the installed copy, i.e. what pip and the .deb ship.
"""

import os
import subprocess
import tempfile
import unittest

import liaison.proto

from _env import need


class TestProtoFresh(unittest.TestCase):
    def test_generated_classes_are_fresh(self):
        src = need("LSN_SRC_DIR")
        shipped = os.path.dirname(liaison.proto.__file__)
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(["sh", os.path.join(src, "clients", "python",
                                               "gen-proto.sh"), d],
                           check=True)
            fresh = sorted(f for f in os.listdir(d) if f.endswith("_pb2.py"))
            self.assertEqual(fresh, ["api_pb2.py", "directory_pb2.py",
                                     "envelope_pb2.py", "wire_pb2.py"])
            for f in fresh:
                with open(os.path.join(d, f), "rb") as a, \
                        open(os.path.join(shipped, f), "rb") as b:
                    self.assertEqual(a.read(), b.read(),
                                     "%s is stale: run clients/"
                                     "update-proto.sh and commit" % f)


if __name__ == "__main__":
    unittest.main()
