/*
 * fuzz_dirop.c -- libFuzzer harness: directory operations, authorization
 * and apply (lib/dir*.c) on the fixture's directory (genesis with two
 * admins, four partners, three groups). The first input byte picks how
 * the rest is used (mode = byte % 8):
 *   0  a raw SignedDirOp: lsn_dir_authorize, lsn_dir_submit (sequencer)
 *   1  DirOp bytes signed by both fixture admins, then as 0
 *   2  DirOp bytes signed by one admin (thresholds), then as 0
 *   3  DirOp bytes signed by p01's key (self-service), then as 0
 *   4  a raw LogEntry: lsn_dir_apply_entry (replica)
 *   5  DirOp bytes signed by both admins, chained as the next LogEntry
 *      (rev, prev_hash, entry_hash computed here), lsn_dir_apply_entry
 *   6  a SignedCheckpoint: parse, check against the log, conflict test
 *   7  an op batch file: lsn_dirop_batch_load, save, load again
 * Whatever is accepted is followed by lsn_dir_verify (replaying the whole
 * log must give the stored state) and rolled back, so each input starts
 * from the same directory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "directory.pb-c.h"

#include "liaison/dir.h"
#include "liaison/store.h"

#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

static struct lsn_store	*fz_st;
static struct lsn_dir	*fz_d;
static uint8_t		*fz_cp;		/* checkpoint of the head */
static size_t		 fz_cplen;

static void
fz_dir_close(void)
{
	free(fz_cp);
	fz_cp = NULL;
	lsn_dir_close(&fz_d);
	lsn_store_close(&fz_st);
}

static void
fz_dir(void)
{
	struct lsn_fixture	*fx;

	if (fz_d != NULL)
		return;
	fx = fz_fixture();
	if (lsn_store_open(fx->broker_db, lsn_dir_migrations,
	    LSN_STORE_NOSYNC, &fz_st) != LSN_OK ||
	    lsn_dir_open(fz_st, &fz_d) != LSN_OK)
		fz_die("open directory");
	if (lsn_dir_checkpoint_make(fz_d, fx->seq, FZ_NOW, &fz_cp,
	    &fz_cplen) != LSN_OK)
		fz_die("checkpoint");
	(void) atexit(fz_dir_close);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	fz_dir();
	return (0);
}

/* After an accepted change: the log replays to the stored state. */
static void
fz_verify(void)
{
	struct lsn_dir_verify_result	res;
	char				why[LSN_DIR_WHY_MAX];
	int				rv;

	if ((rv = lsn_dir_verify(fz_d, &res, why, sizeof(why))) != LSN_OK) {
		fprintf(stderr, "fuzz: verify: %s (%s), bad rev %llu%s\n",
		    lsn_strerror(rv), why, (unsigned long long) res.bad_rev,
		    res.digest_mismatch ? ", digest mismatch" : "");
		fz_die("an accepted op does not replay");
	}
}

/* Wraps DirOp bytes into a SignedDirOp signed by n keys. */
static int
fz_sign(const uint8_t *op, size_t len, const struct lsn_keypair *const *kp,
    int n, uint8_t **out, size_t *outlen)
{
	Liaison__V1__SignedDirOp	 sop = LIAISON__V1__SIGNED_DIR_OP__INIT;
	uint8_t				*buf, *nb = NULL;
	size_t				 blen, nlen = 0;

	sop.has_op = 1;
	sop.op.data = (uint8_t *) (uintptr_t) op;
	sop.op.len = len;
	blen = liaison__v1__signed_dir_op__get_packed_size(&sop);
	if ((buf = malloc(blen + 1)) == NULL)
		return (LSN_ENOMEM);
	(void) liaison__v1__signed_dir_op__pack(&sop, buf);
	for (int i = 0; i < n; i++) {
		if (lsn_dirop_sign(buf, blen, kp[i], &nb, &nlen) != LSN_OK) {
			free(buf);
			return (LSN_EINVAL);
		}
		free(buf);
		buf = nb;
		blen = nlen;
	}
	*out = buf;
	*outlen = blen;
	return (LSN_OK);
}

static void
fz_submit(const uint8_t *sop, size_t len)
{
	char	why[LSN_DIR_WHY_MAX];
	int	rv, rv2;

	rv = lsn_dirop_parse(sop, len, NULL, NULL);
	rv = lsn_dir_authorize(fz_d, sop, len, FZ_NOW, why, sizeof(why));
	if (lsn_store_begin(fz_st) != LSN_OK)
		fz_die("begin");
	why[0] = '\0';
	rv2 = lsn_dir_submit(fz_d, sop, len, FZ_NOW, NULL, why, sizeof(why));
	fz_note("submit: %s (%s)", lsn_errname(rv2), why);
	if (rv2 == LSN_OK) {
		if (rv != LSN_OK)
			fz_die("submit accepted an op authorize refused");
		fz_verify();
	}
	lsn_store_rollback(fz_st);
}

static void
fz_apply(const uint8_t *entry, size_t len)
{
	char	why[LSN_DIR_WHY_MAX];
	int	rv;

	if (lsn_store_begin(fz_st) != LSN_OK)
		fz_die("begin");
	why[0] = '\0';
	rv = lsn_dir_apply_entry(fz_d, entry, len, why, sizeof(why));
	fz_note("apply: %s (%s)", lsn_errname(rv), why);
	if (rv == LSN_OK)
		fz_verify();
	lsn_store_rollback(fz_st);
}

/* The signed op as the next log entry of the current head. */
static void
fz_chain(const uint8_t *sop, size_t len)
{
	Liaison__V1__LogEntry		 e = LIAISON__V1__LOG_ENTRY__INIT;
	crypto_generichash_state	 h;
	uint8_t				 prev[LSN_DIR_HASH_BYTES];
	uint8_t				 eh[LSN_DIR_HASH_BYTES], be[8];
	uint8_t				*buf;
	uint64_t			 rev;
	size_t				 blen;

	if (lsn_dir_head(fz_d, &rev, prev) != LSN_OK)
		fz_die("head");
	rev++;
	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t) (rev >> (56 - 8 * i));
	crypto_generichash_init(&h, NULL, 0, sizeof(eh));
	crypto_generichash_update(&h, prev, sizeof(prev));
	crypto_generichash_update(&h, be, sizeof(be));
	crypto_generichash_update(&h, sop, len);
	crypto_generichash_final(&h, eh, sizeof(eh));
	e.has_rev = 1;
	e.rev = rev;
	e.has_prev_hash = 1;
	e.prev_hash.data = prev;
	e.prev_hash.len = sizeof(prev);
	e.has_signed_op = 1;
	e.signed_op.data = (uint8_t *) (uintptr_t) sop;
	e.signed_op.len = len;
	e.has_entry_hash = 1;
	e.entry_hash.data = eh;
	e.entry_hash.len = sizeof(eh);
	blen = liaison__v1__log_entry__get_packed_size(&e);
	if ((buf = malloc(blen)) == NULL)
		return;
	(void) liaison__v1__log_entry__pack(&e, buf);
	fz_apply(buf, blen);
	free(buf);
}

static void
fz_checkpoint(const uint8_t *cp, size_t len)
{
	struct lsn_fixture		*fx = fz_fixture();
	struct lsn_dir_checkpoint	 c;
	int				 rv, rv2;

	rv = lsn_dir_checkpoint_parse(cp, len, fx->seq->pk, &c);
	rv2 = lsn_dir_checkpoint_check(fz_d, cp, len, &c);
	fz_note("checkpoint: parse %s, check %s", lsn_errname(rv),
	    lsn_errname(rv2));
	if (rv != LSN_OK && rv2 == LSN_OK)
		fz_die("check accepted a checkpoint parse refused");
	rv = lsn_dir_checkpoints_conflict(fx->seq->pk, fz_cp, fz_cplen, cp,
	    len);
	(void) rv;	/* any answer: it must not crash */
}

static void
fz_batch(const uint8_t *buf, size_t len)
{
	struct lsn_dirop_batch	*b = NULL, *b2 = NULL;
	uint8_t			*out = NULL;
	size_t			 outlen = 0;

	if (lsn_dirop_batch_load(buf, len, &b) != LSN_OK)
		return;
	if (lsn_dirop_batch_save(b, 0, &out, &outlen) == LSN_OK) {
		if (lsn_dirop_batch_load(out, outlen, &b2) != LSN_OK ||
		    b2->n != b->n)
			fz_die("a saved batch does not load back");
		for (size_t i = 0; i < b->n; i++)
			if (b->lens[i] != b2->lens[i] || memcmp(b->ops[i],
			    b2->ops[i], b->lens[i]) != 0)
				fz_die("batch round trip changed an op");
	}
	lsn_dirop_batch_free(&b2);
	lsn_dirop_batch_free(&b);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lsn_fixture		*fx = fz_fixture();
	const struct lsn_keypair	*admins[2], *self[1];
	uint8_t				*sop = NULL;
	size_t				 len = 0;
	int				 mode;

	fz_dir();
	if (size < 1 || size > LSN_DIR_ENTRY_MAX + 1)
		return (0);
	mode = data[0] % 8;
	data++;
	size--;
	admins[0] = fx->admin[0];
	admins[1] = fx->admin[1];
	self[0] = fx->partners[0].sign;
	switch (mode) {
	case 0:
		fz_submit(data, size);
		break;
	case 1:
	case 2:
		if (fz_sign(data, size, admins, mode == 1 ? 2 : 1, &sop,
		    &len) == LSN_OK)
			fz_submit(sop, len);
		break;
	case 3:
		if (fz_sign(data, size, self, 1, &sop, &len) == LSN_OK)
			fz_submit(sop, len);
		break;
	case 4:
		fz_apply(data, size);
		break;
	case 5:
		if (fz_sign(data, size, admins, 2, &sop, &len) == LSN_OK)
			fz_chain(sop, len);
		break;
	case 6:
		fz_checkpoint(data, size);
		break;
	default:
		fz_batch(data, size);
		break;
	}
	free(sop);
	return (0);
}
