// errors.js -- typed errors of the Liaison Node client, one class per
// lsn_err code of include/liaison/err.h (the numbers are also wire.proto's
// ErrorCode). test/errors.test.js compares this table with both files, so
// they cannot drift apart. Each error has: name (the class name, e.g.
// "TimedOut"), code (the symbol, e.g. "LSN_ETIMEDOUT", as Node's system
// errors carry "ETIMEDOUT"), lsnErr (-12), wire (12) and detail (text for
// people; branch on the class or code).

export class LiaisonError extends Error {
  constructor(detail = '', lsnErr = undefined) {
    const e = lsnErr ?? new.target.lsnErr ?? 0;
    const sym = new.target.symbol ?? `LSN_E${-e}`;
    super(detail ? `${sym}: ${detail}` : sym);
    this.name = new.target.name;
    this.code = sym;
    this.lsnErr = e;
    this.wire = -e;
    this.detail = detail;
  }
}

// [lsn_err, symbol, class name]
export const ERRORS = [
  [-1, 'LSN_ENOMEM', 'OutOfMemory'],
  [-2, 'LSN_EINVAL', 'InvalidArgument'],
  [-3, 'LSN_ETOOBIG', 'TooBig'],
  [-4, 'LSN_EPROTO', 'ProtocolError'],
  [-5, 'LSN_EBADSIG', 'BadSignature'],
  [-6, 'LSN_EREPLAY', 'Replay'],
  [-7, 'LSN_ENOENT', 'NotFound'],
  [-8, 'LSN_EEXIST', 'AlreadyExists'],
  [-9, 'LSN_EPERM', 'PermissionDenied'],
  [-10, 'LSN_EDB', 'DatabaseError'],
  [-11, 'LSN_EIO', 'IOFailure'],
  [-12, 'LSN_ETIMEDOUT', 'TimedOut'],
  [-13, 'LSN_ECLOSED', 'Closed'],
  [-14, 'LSN_ECONFIG', 'ConfigError'],
  [-15, 'LSN_EINTERNAL', 'InternalError'],
  [-16, 'LSN_EAGAIN', 'TryAgain'],
  [-20, 'LSN_ESENDER', 'SenderMismatch'],
  [-21, 'LSN_EUNKNOWNKEY', 'UnknownKey'],
  [-22, 'LSN_EKEYEXPIRED', 'KeyExpired'],
  [-23, 'LSN_EKEYREVOKED', 'KeyRevoked'],
  [-24, 'LSN_ESUSPENDED', 'PartnerSuspended'],
  [-25, 'LSN_EPREVOKED', 'PartnerRevoked'],
  [-26, 'LSN_EUNKNOWNRCPT', 'UnknownRecipient'],
  [-27, 'LSN_EUNKNOWNGROUP', 'UnknownGroup'],
  [-28, 'LSN_ESKEW', 'ClockSkew'],
  [-29, 'LSN_EEXPIRED', 'MessageExpired'],
  [-30, 'LSN_EDUPID', 'DuplicateId'],
  [-31, 'LSN_EQUOTA', 'QuotaExceeded'],
  [-32, 'LSN_EVERSION', 'UnsupportedVersion'],
  [-33, 'LSN_ENOTSEALED', 'NotSealed'],
  [-34, 'LSN_EUNKNOWNSENDER', 'UnknownSender'],
  [-35, 'LSN_ERATE', 'RateLimited'],
  [-36, 'LSN_ENOTACTIVE', 'NotActive'],
  [-37, 'LSN_EINDOUBT', 'OutcomeInDoubt'],
  [-40, 'LSN_ETHRESHOLD', 'ThresholdNotMet'],
  [-41, 'LSN_ENOTAUTH', 'NotAuthorised'],
  [-42, 'LSN_ESTALE', 'Stale'],
  [-43, 'LSN_EOPREPLAY', 'OpReplay'],
  [-44, 'LSN_ECHAIN', 'ChainBroken'],
  [-45, 'LSN_EFORK', 'DirectoryFork'],
  [-46, 'LSN_EROOT', 'RootPolicy'],
  [-47, 'LSN_EDIRHALTED', 'DirectoryHalted'],
  [-50, 'LSN_ETRANSITION', 'IllegalTransition'],
  [-51, 'LSN_EFORWARD', 'ForwardNotPermitted'],
  [-52, 'LSN_EUNSEAL', 'UnsealFailed'],
  [-53, 'LSN_EMARKING', 'MarkingTooWeak'],
  [-60, 'LSN_EFILEPERM', 'FilePermissions'],
  [-61, 'LSN_EKEYFORMAT', 'KeyFormat'],
];

const byCode = new Map();
const classes = {};
for (const [code, symbol, name] of ERRORS) {
  const cls = { [name]: class extends LiaisonError {} }[name];
  cls.lsnErr = code;
  cls.symbol = symbol;
  byCode.set(code, cls);
  classes[name] = cls;
}

export const {
  OutOfMemory, InvalidArgument, TooBig, ProtocolError, BadSignature, Replay,
  NotFound, AlreadyExists, PermissionDenied, DatabaseError, IOFailure,
  TimedOut, Closed, ConfigError, InternalError, TryAgain, SenderMismatch,
  UnknownKey, KeyExpired, KeyRevoked, PartnerSuspended, PartnerRevoked,
  UnknownRecipient, UnknownGroup, ClockSkew, MessageExpired, DuplicateId,
  QuotaExceeded, UnsupportedVersion, NotSealed, UnknownSender, RateLimited,
  NotActive, OutcomeInDoubt,
  ThresholdNotMet, NotAuthorised, Stale, OpReplay, ChainBroken,
  DirectoryFork, RootPolicy, DirectoryHalted, IllegalTransition,
  ForwardNotPermitted, UnsealFailed, MarkingTooWeak, FilePermissions,
  KeyFormat,
} = classes;

/** The class of an lsn_err code (negative), or LiaisonError. */
export function errorClass(lsnErr) {
  return byCode.get(lsnErr) ?? LiaisonError;
}

/** An error for a wire ErrorCode number (ApiResponse.code). */
export function errorFor(wireCode, detail = '') {
  const code = -Math.abs(Number(wireCode));
  const cls = byCode.get(code);
  return cls ? new cls(detail) : new LiaisonError(detail, code);
}
