"""liaison -- Python client for the liaison-agent local API.

    import liaison
    from liaison import envelope_pb2 as env

    with liaison.Client("ipc:///var/lib/liaison/agent-de-bka/api.sock") as c:
        mid = c.submit(env.Note(text="Briefing at 09:00 UTC."), to="nl-police")
        c.wait_verdict(mid)                      # broker accepted it
        c.receive(lambda item, body: store(item, body), wait=10)

Errors are the classes of liaison.errors (one per lsn_err code), all
subclasses of liaison.LiaisonError; every call has a timeout. See
docs/integrators.md.
"""

from . import errors
from .client import (BODY_TYPES, REQUEST_MAX, RESPONSE_MAX, Client,
                     decode_body, endpoint_from_conf)
from .errors import *  # noqa: F401,F403 -- the typed errors
from .proto import api_pb2, directory_pb2, envelope_pb2, wire_pb2

__version__ = "0.1.0"

__all__ = ["Client", "endpoint_from_conf", "decode_body", "BODY_TYPES",
           "REQUEST_MAX", "RESPONSE_MAX", "errors", "api_pb2",
           "directory_pb2", "envelope_pb2", "wire_pb2"] + errors.__all__
