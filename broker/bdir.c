/*
 * bdir.c -- the directory lookups of the ingress path, memoized while a
 * run of publishes is handled (broker.c: pending_add .. pending_flush).
 *
 * Only time-independent answers are kept (a partner's status, the key
 * records of lsn_dir_sign_keyrec / lsn_dir_transport_keyrec); the time
 * checks run on every call with the caller's time (the trust gate's, for
 * sign keys), exactly as the library lookups do. The directory cannot change during such a run: a DirSubmit
 * is another frame, and every other frame first ends the run (flush),
 * which forgets everything; another process cannot commit while the
 * turn's transaction is open. Outside a run the calls go straight to the
 * library.
 */
#include <stdlib.h>
#include <string.h>

#include "liaison/util.h"

#include "broker.h"

#define MEMO_PARTNERS	64
#define MEMO_KEYS	16

struct memo_partner {
	char	id[LSN_DIR_ID_MAX + 1];
	int	rv;
	int	status;
};

struct memo_key {
	char			 partner[LSN_DIR_ID_MAX + 1];
	char			 key_id[LSN_KEYID_HEXLEN + 1];
	uint8_t			 tkey[LSN_PK_BYTES];	/* transport */
	int			 rv;
	struct lsn_dir_keyrec	 r;
};

struct bmemo {
	struct memo_partner	p[MEMO_PARTNERS];
	size_t			np;
	struct memo_key		s[MEMO_KEYS];	/* sign keys */
	size_t			ns;
	struct memo_key		t[MEMO_KEYS];	/* transport keys */
	size_t			nt;
};

void
bdir_memo(struct broker *b, int on)
{
	if (on && b->memo_buf == NULL)
		b->memo_buf = calloc(1, sizeof(*b->memo_buf));	/* or none */
	if (b->memo_buf != NULL)
		b->memo_buf->np = b->memo_buf->ns = b->memo_buf->nt = 0;
	b->memo = on ? b->memo_buf : NULL;
}

void
bdir_free(struct broker *b)
{
	free(b->memo_buf);
	b->memo_buf = NULL;
	b->memo = NULL;
}

int
bdir_partner_status(struct broker *b, const char *partner, int *status)
{
	struct bmemo		*m = b->memo;
	struct memo_partner	*e;
	int			 rv, st = 0;

	if (m == NULL)
		return (lsn_dir_partner_status(b->dir, partner, status));
	for (size_t i = 0; i < m->np; i++) {
		e = &m->p[i];
		if (strcmp(e->id, partner) == 0) {
			if (e->rv == LSN_OK)
				*status = e->status;
			return (e->rv);
		}
	}
	rv = lsn_dir_partner_status(b->dir, partner, &st);
	if ((rv == LSN_OK || rv == LSN_ENOENT) && m->np < MEMO_PARTNERS &&
	    strlen(partner) < sizeof(e->id)) {
		e = &m->p[m->np++];
		lsn_strlcpy(e->id, partner, sizeof(e->id));
		e->rv = rv;
		e->status = st;
	}
	if (rv == LSN_OK)
		*status = st;
	return (rv);
}

/* Time-independent refusals and LSN_OK can be kept; LSN_EDB, LSN_EINVAL
 * and the like are not. */
static int
keepable(int rv)
{
	return (rv == LSN_OK || rv == LSN_EUNKNOWNSENDER ||
	    rv == LSN_EPREVOKED || rv == LSN_ESUSPENDED ||
	    rv == LSN_EUNKNOWNKEY || rv == LSN_ENOENT);
}

int
bdir_sign_keyrec(struct broker *b, const char *partner, const char *key_id,
    struct lsn_dir_keyrec *r)
{
	struct bmemo		*m = b->memo;
	struct memo_key		*e;
	int			 rv;

	if (m == NULL)
		return (lsn_dir_sign_keyrec(b->dir, partner, key_id, r));
	for (size_t i = 0; i < m->ns; i++) {
		e = &m->s[i];
		if (strcmp(e->partner, partner) == 0 &&
		    strcmp(e->key_id, key_id) == 0) {
			if (e->rv == LSN_OK)
				*r = e->r;
			return (e->rv);
		}
	}
	rv = lsn_dir_sign_keyrec(b->dir, partner, key_id, r);
	if (keepable(rv) && m->ns < MEMO_KEYS &&
	    strlen(partner) < sizeof(e->partner) &&
	    strlen(key_id) < sizeof(e->key_id)) {
		e = &m->s[m->ns++];
		lsn_strlcpy(e->partner, partner, sizeof(e->partner));
		lsn_strlcpy(e->key_id, key_id, sizeof(e->key_id));
		e->rv = rv;
		if (rv == LSN_OK)
			e->r = *r;
	}
	return (rv);
}

int
bdir_transport_owner(struct broker *b, const uint8_t tkey[LSN_PK_BYTES],
    uint64_t now_ms, char owner[LSN_DIR_ID_MAX + 1])
{
	struct bmemo		*m = b->memo;
	struct memo_key		*e;
	struct lsn_dir_keyrec	 r;
	int			 rv;

	memset(&r, 0, sizeof(r));
	if (m == NULL)
		return (lsn_dir_transport_owner(b->dir, tkey, now_ms, owner));
	for (size_t i = 0; i < m->nt; i++) {
		e = &m->t[i];
		if (memcmp(e->tkey, tkey, LSN_PK_BYTES) == 0) {
			if (e->rv != LSN_OK)
				return (e->rv);
			return (lsn_dir_transport_keyrec_at(&e->r, now_ms,
			    owner));
		}
	}
	rv = lsn_dir_transport_keyrec(b->dir, tkey, &r);
	if (keepable(rv) && m->nt < MEMO_KEYS) {
		e = &m->t[m->nt++];
		memcpy(e->tkey, tkey, LSN_PK_BYTES);
		e->rv = rv;
		if (rv == LSN_OK)
			e->r = r;
	}
	if (rv != LSN_OK)
		return (rv);
	return (lsn_dir_transport_keyrec_at(&r, now_ms, owner));
}
