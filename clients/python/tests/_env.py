"""Shared set-up of the Python client tests: the endpoints of the two
real agents started by the harness (tests/common/kit_env via
tests/kit/python.sh) and the source tree (LSN_SRC_DIR). A missing
variable fails the test: these tests are never skipped."""

import os


def need(name):
    v = os.environ.get(name)
    if not v:
        raise AssertionError("%s not set: run through ctest "
                             "(it_test_kit_python)" % name)
    return v
