/* err.c -- error codes and their descriptions. */
#include <stddef.h>

#include "liaison/err.h"

struct errdesc {
	int		 code;
	const char	*name;
	const char	*text;
};

static const struct errdesc errtab[] = {
	{ LSN_OK, "LSN_OK", "success" },
	{ LSN_ENOMEM, "LSN_ENOMEM", "out of memory" },
	{ LSN_EINVAL, "LSN_EINVAL", "invalid argument or field" },
	{ LSN_ETOOBIG, "LSN_ETOOBIG", "message or field over the size limit" },
	{ LSN_EPROTO, "LSN_EPROTO", "malformed frame or protobuf" },
	{ LSN_EBADSIG, "LSN_EBADSIG", "bad or missing signature" },
	{ LSN_EREPLAY, "LSN_EREPLAY", "replayed message" },
	{ LSN_ENOENT, "LSN_ENOENT", "not found" },
	{ LSN_EEXIST, "LSN_EEXIST", "already exists" },
	{ LSN_EPERM, "LSN_EPERM", "permission denied" },
	{ LSN_EDB, "LSN_EDB", "database error" },
	{ LSN_EIO, "LSN_EIO", "input/output error" },
	{ LSN_ETIMEDOUT, "LSN_ETIMEDOUT", "timed out" },
	{ LSN_ECLOSED, "LSN_ECLOSED", "closed" },
	{ LSN_ECONFIG, "LSN_ECONFIG", "configuration error" },
	{ LSN_EINTERNAL, "LSN_EINTERNAL", "internal error" },
	{ LSN_EAGAIN, "LSN_EAGAIN", "try again later" },
	{ LSN_ESENDER, "LSN_ESENDER",
	    "envelope sender differs from the authenticated partner" },
	{ LSN_EUNKNOWNKEY, "LSN_EUNKNOWNKEY",
	    "signing key not known for the sender" },
	{ LSN_EKEYEXPIRED, "LSN_EKEYEXPIRED",
	    "signing key not valid at the message time" },
	{ LSN_EKEYREVOKED, "LSN_EKEYREVOKED", "signing key revoked" },
	{ LSN_ESUSPENDED, "LSN_ESUSPENDED", "partner suspended" },
	{ LSN_EPREVOKED, "LSN_EPREVOKED", "partner revoked" },
	{ LSN_EUNKNOWNRCPT, "LSN_EUNKNOWNRCPT", "unknown recipient" },
	{ LSN_EUNKNOWNGROUP, "LSN_EUNKNOWNGROUP", "unknown group" },
	{ LSN_ESKEW, "LSN_ESKEW",
	    "created time outside the clock-skew window" },
	{ LSN_EEXPIRED, "LSN_EEXPIRED", "message expired" },
	{ LSN_EDUPID, "LSN_EDUPID",
	    "message id already used with different content" },
	{ LSN_EQUOTA, "LSN_EQUOTA", "recipient queue quota reached" },
	{ LSN_EVERSION, "LSN_EVERSION", "unsupported version" },
	{ LSN_ENOTSEALED, "LSN_ENOTSEALED",
	    "AMBER or stronger body must be sealed" },
	{ LSN_EUNKNOWNSENDER, "LSN_EUNKNOWNSENDER",
	    "sender not in the directory" },
	{ LSN_ERATE, "LSN_ERATE", "sender over its rate limit; retry later" },
	{ LSN_ENOTACTIVE, "LSN_ENOTACTIVE",
	    "this broker is a standby; use the next endpoint" },
	{ LSN_EINDOUBT, "LSN_EINDOUBT",
	    "outcome unknown: the storage failed at sync; query the status "
	    "by message id after the restart" },
	{ LSN_ETHRESHOLD, "LSN_ETHRESHOLD",
	    "too few valid administrator signatures" },
	{ LSN_ENOTAUTH, "LSN_ENOTAUTH", "signer not authorised for this action" },
	{ LSN_ESTALE, "LSN_ESTALE",
	    "expected version does not match (target changed)" },
	{ LSN_EOPREPLAY, "LSN_EOPREPLAY", "directory operation already applied" },
	{ LSN_ECHAIN, "LSN_ECHAIN", "hash chain broken" },
	{ LSN_EFORK, "LSN_EFORK", "directory fork detected" },
	{ LSN_EROOT, "LSN_EROOT", "root policy rule violated" },
	{ LSN_EDIRHALTED, "LSN_EDIRHALTED",
	    "directory replica halted after a verification failure" },
	{ LSN_ETRANSITION, "LSN_ETRANSITION", "illegal workflow transition" },
	{ LSN_EFORWARD, "LSN_EFORWARD", "forwarding not permitted" },
	{ LSN_EUNSEAL, "LSN_EUNSEAL", "cannot open sealed body" },
	{ LSN_EMARKING, "LSN_EMARKING",
	    "reply marked weaker than the message it answers" },
	{ LSN_EFILEPERM, "LSN_EFILEPERM",
	    "file is accessible by group or others" },
	{ LSN_EKEYFORMAT, "LSN_EKEYFORMAT", "malformed key file" },
};

static const struct errdesc *
errfind(int err)
{
	size_t	i;

	for (i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++)
		if (errtab[i].code == err)
			return (&errtab[i]);
	return (NULL);
}

const char *
lsn_strerror(int err)
{
	const struct errdesc *d = errfind(err);

	return (d != NULL ? d->text : "unknown error");
}

const char *
lsn_errname(int err)
{
	const struct errdesc *d = errfind(err);

	return (d != NULL ? d->name : "LSN_E?");
}

int
lsn_err_to_wire(int err)
{
	if (err > 0 || errfind(err) == NULL)
		return (-LSN_EINTERNAL);
	return (-err);
}

int
lsn_err_from_wire(int code)
{
	if (code < 0 || errfind(-code) == NULL)
		return (LSN_EPROTO);
	return (-code);
}
