"""Typed errors of the Liaison client, one class per lsn_err code.

The codes are those of include/liaison/err.h: ``code`` is the (negative)
lsn_err value, ``wire`` its absolute value, the ErrorCode number the agent
puts in ApiResponse.code. A test compares this table with err.h and with
wire.proto's ErrorCode, so the three cannot drift apart. A code this
version does not know becomes a plain LiaisonError carrying that code.
"""

__all__ = ["LiaisonError", "error_for", "error_class", "ERRORS"]


class LiaisonError(Exception):
    """Base class: ``code`` (lsn_err, < 0), ``name`` ("LSN_E..."),
    ``detail`` (text for people; branch on the class or ``code``)."""

    code = 0
    name = "LSN_UNKNOWN"

    def __init__(self, detail="", code=None):
        if code is not None:
            self.code = code
        self.detail = detail or ""
        super().__init__("%s: %s" % (self.name, self.detail)
                         if self.detail else self.name)

    @property
    def wire(self):
        """The ErrorCode number on the wire (= -code)."""
        return -self.code


# (lsn_err, symbol, class name, extra built-in base or None)
ERRORS = [
    (-1, "LSN_ENOMEM", "OutOfMemory", MemoryError),
    (-2, "LSN_EINVAL", "InvalidArgument", ValueError),
    (-3, "LSN_ETOOBIG", "TooBig", ValueError),
    (-4, "LSN_EPROTO", "ProtocolError", None),
    (-5, "LSN_EBADSIG", "BadSignature", None),
    (-6, "LSN_EREPLAY", "Replay", None),
    (-7, "LSN_ENOENT", "NotFound", LookupError),
    (-8, "LSN_EEXIST", "AlreadyExists", None),
    (-9, "LSN_EPERM", "PermissionDenied", PermissionError),
    (-10, "LSN_EDB", "DatabaseError", None),
    (-11, "LSN_EIO", "IOFailure", OSError),
    (-12, "LSN_ETIMEDOUT", "TimedOut", TimeoutError),
    (-13, "LSN_ECLOSED", "Closed", ConnectionError),
    (-14, "LSN_ECONFIG", "ConfigError", None),
    (-15, "LSN_EINTERNAL", "InternalError", None),
    (-16, "LSN_EAGAIN", "TryAgain", None),
    (-20, "LSN_ESENDER", "SenderMismatch", None),
    (-21, "LSN_EUNKNOWNKEY", "UnknownKey", None),
    (-22, "LSN_EKEYEXPIRED", "KeyExpired", None),
    (-23, "LSN_EKEYREVOKED", "KeyRevoked", None),
    (-24, "LSN_ESUSPENDED", "PartnerSuspended", None),
    (-25, "LSN_EPREVOKED", "PartnerRevoked", None),
    (-26, "LSN_EUNKNOWNRCPT", "UnknownRecipient", None),
    (-27, "LSN_EUNKNOWNGROUP", "UnknownGroup", None),
    (-28, "LSN_ESKEW", "ClockSkew", None),
    (-29, "LSN_EEXPIRED", "MessageExpired", None),
    (-30, "LSN_EDUPID", "DuplicateId", None),
    (-31, "LSN_EQUOTA", "QuotaExceeded", None),
    (-32, "LSN_EVERSION", "UnsupportedVersion", None),
    (-33, "LSN_ENOTSEALED", "NotSealed", None),
    (-34, "LSN_EUNKNOWNSENDER", "UnknownSender", None),
    (-35, "LSN_ERATE", "RateLimited", None),
    (-36, "LSN_ENOTACTIVE", "NotActive", None),
    (-37, "LSN_EINDOUBT", "OutcomeInDoubt", None),
    (-40, "LSN_ETHRESHOLD", "ThresholdNotMet", None),
    (-41, "LSN_ENOTAUTH", "NotAuthorised", None),
    (-42, "LSN_ESTALE", "Stale", None),
    (-43, "LSN_EOPREPLAY", "OpReplay", None),
    (-44, "LSN_ECHAIN", "ChainBroken", None),
    (-45, "LSN_EFORK", "DirectoryFork", None),
    (-46, "LSN_EROOT", "RootPolicy", None),
    (-47, "LSN_EDIRHALTED", "DirectoryHalted", None),
    (-50, "LSN_ETRANSITION", "IllegalTransition", None),
    (-51, "LSN_EFORWARD", "ForwardNotPermitted", None),
    (-52, "LSN_EUNSEAL", "UnsealFailed", None),
    (-53, "LSN_EMARKING", "MarkingTooWeak", None),
    (-60, "LSN_EFILEPERM", "FilePermissions", None),
    (-61, "LSN_EKEYFORMAT", "KeyFormat", None),
]

_BY_CODE = {}
for _code, _name, _cls, _extra in ERRORS:
    _bases = (LiaisonError,) if _extra is None else (LiaisonError, _extra)
    _c = type(_cls, _bases, {"code": _code, "name": _name,
                             "__doc__": "%s (%d)" % (_name, _code),
                             "__module__": __name__})
    globals()[_cls] = _c
    __all__.append(_cls)
    _BY_CODE[_code] = _c
del _code, _name, _cls, _extra, _bases, _c


def error_class(code):
    """The class of lsn_err ``code`` (negative) or LiaisonError."""
    return _BY_CODE.get(code, LiaisonError)


def error_for(wire_code, detail=""):
    """An exception for a wire ErrorCode number (ApiResponse.code)."""
    code = -abs(int(wire_code))
    cls = _BY_CODE.get(code)
    if cls is None:
        return LiaisonError(detail, code=code)
    return cls(detail)
