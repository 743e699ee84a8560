/*
 * err.h -- the one error space of libliaison.
 *
 * Every lsn_ function that can fail returns an int: LSN_OK (0) on success or
 * a negative LSN_E* code. The absolute value of each code is the number of
 * the matching ErrorCode in proto/wire.proto, which is what peers and
 * integrators see on the wire (lsn_err_to_wire / lsn_err_from_wire).
 *
 * Codes are never renumbered; new codes get new numbers.
 */
#ifndef LIAISON_ERR_H
#define LIAISON_ERR_H

#define LSN_MUST_CHECK __attribute__((warn_unused_result))
/*
 * Marks what the shared client library (libliaison.so.0, packages
 * libliaison0 / liaison-dev) exports: it is built with -fvisibility=hidden
 * and a version script (lib/liaison.map), so only functions carrying
 * LSN_API and the generated liaison__v1__* protobuf-c code are visible.
 * No effect on the static liaison_core the daemons link.
 */
#define LSN_API __attribute__((visibility("default")))

enum lsn_err {
	LSN_OK = 0,
	LSN_ENOMEM = -1,
	LSN_EINVAL = -2,	/* a field missing or out of range */
	LSN_ETOOBIG = -3,	/* over a size limit */
	LSN_EPROTO = -4,	/* malformed frame or protobuf */
	LSN_EBADSIG = -5,	/* bad or missing signature */
	LSN_EREPLAY = -6,
	LSN_ENOENT = -7,
	LSN_EEXIST = -8,
	LSN_EPERM = -9,
	LSN_EDB = -10,		/* sqlite error */
	LSN_EIO = -11,
	LSN_ETIMEDOUT = -12,
	LSN_ECLOSED = -13,
	LSN_ECONFIG = -14,
	LSN_EINTERNAL = -15,
	LSN_EAGAIN = -16,
	/* broker ingress rules (ARCHITECTURE.md), one code each */
	LSN_ESENDER = -20,	/* sender != the connection's partner */
	LSN_EUNKNOWNKEY = -21,	/* key id unknown for the sender */
	LSN_EKEYEXPIRED = -22,	/* key not valid at created_ms */
	LSN_EKEYREVOKED = -23,
	LSN_ESUSPENDED = -24,	/* partner suspended */
	LSN_EPREVOKED = -25,	/* partner revoked */
	LSN_EUNKNOWNRCPT = -26,
	LSN_EUNKNOWNGROUP = -27,
	LSN_ESKEW = -28,	/* created_ms outside the skew window */
	LSN_EEXPIRED = -29,	/* message expired */
	LSN_EDUPID = -30,	/* message_id reused with different bytes */
	LSN_EQUOTA = -31,	/* recipient queue quota reached */
	LSN_EVERSION = -32,	/* unsupported version */
	LSN_ENOTSEALED = -33,	/* AMBER or stronger body not sealed */
	LSN_EUNKNOWNSENDER = -34, /* sender partner not in the directory */
	LSN_ERATE = -35,	/* sender over its rate limit (retry later) */
	LSN_ENOTACTIVE = -36,	/* a standby broker: try the next endpoint */
	LSN_EINDOUBT = -37,	/* commit outcome unknown: sync failed */
	/* directory */
	LSN_ETHRESHOLD = -40,	/* too few valid admin signatures */
	LSN_ENOTAUTH = -41,	/* signer may not sign this action */
	LSN_ESTALE = -42,	/* expected_version mismatch */
	LSN_EOPREPLAY = -43,	/* op_id already applied */
	LSN_ECHAIN = -44,	/* hash chain broken */
	LSN_EFORK = -45,	/* conflicting heads or checkpoints */
	LSN_EROOT = -46,	/* root policy rule violated */
	LSN_EDIRHALTED = -47,	/* replica halted after a verification failure */
	/* workflows */
	LSN_ETRANSITION = -50,	/* illegal workflow transition */
	LSN_EFORWARD = -51,	/* forwarding not permitted */
	LSN_EUNSEAL = -52,	/* cannot open a sealed body */
	LSN_EMARKING = -53,	/* reply weaker than what it answers */
	/* files */
	LSN_EFILEPERM = -60,	/* file readable/writable by group or others */
	LSN_EKEYFORMAT = -61,	/* malformed key file */
};

/*
 * Returns a static, human-readable description of an lsn_err code (or
 * "unknown error" for a value that is not one). Never NULL. Thread-safe.
 */
const char	*lsn_strerror(int err) LSN_API;

/* Returns the short symbolic name ("LSN_EBADSIG"); never NULL. */
const char	*lsn_errname(int err) LSN_API;

/* Maps an lsn_err (<= 0) to the wire ErrorCode number (>= 0), and back.
 * An unknown wire number maps to LSN_EPROTO. */
int		 lsn_err_to_wire(int err) LSN_API;
int		 lsn_err_from_wire(int code) LSN_API;

#endif /* LIAISON_ERR_H */
