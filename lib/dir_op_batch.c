/*
 * dir_op_batch.c -- op batches: a list of SignedDirOps kept as exact
 * bytes, loaded from and saved to the batch file form (LSNDIRB1 +
 * SignedDirOpBatch) or a single SignedDirOp, and signed op by op.
 */
#include <stdlib.h>
#include <string.h>

#include "liaison/dir.h"
#include "dir_int.h"

int
lsn_dirop_batch_new(struct lsn_dirop_batch **out)
{
	struct lsn_dirop_batch	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (LSN_ENOMEM);
	*out = b;
	return (LSN_OK);
}

void
lsn_dirop_batch_free(struct lsn_dirop_batch **bp)
{
	struct lsn_dirop_batch	*b;

	if (bp == NULL || (b = *bp) == NULL)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->ops[i]);
	free(b->ops);
	free(b->lens);
	free(b);
	*bp = NULL;
}

int
lsn_dirop_batch_add(struct lsn_dirop_batch *b, const uint8_t *op, size_t len)
{
	uint8_t	**nops, *copy;
	size_t	 *nlens;

	if (b == NULL || op == NULL || len == 0)
		return (LSN_EINVAL);
	if (len > LSN_DIROP_MAX || b->n >= LSN_DIROP_BATCH_OPS_MAX)
		return (LSN_ETOOBIG);
	if ((nops = realloc(b->ops, (b->n + 1) * sizeof(*nops))) == NULL)
		return (LSN_ENOMEM);
	b->ops = nops;
	if ((nlens = realloc(b->lens, (b->n + 1) * sizeof(*nlens))) == NULL)
		return (LSN_ENOMEM);
	b->lens = nlens;
	if ((copy = malloc(len)) == NULL)
		return (LSN_ENOMEM);
	memcpy(copy, op, len);
	b->ops[b->n] = copy;
	b->lens[b->n] = len;
	b->n++;
	return (LSN_OK);
}

int
lsn_dirop_batch_load(const uint8_t *buf, size_t len,
    struct lsn_dirop_batch **out)
{
	Liaison__V1__SignedDirOpBatch	*pb = NULL;
	struct lsn_dirop_batch		*b = NULL;
	size_t				 mlen = strlen(LSN_DIROP_BATCH_MAGIC);
	int				 rv;

	if (buf == NULL || len == 0)
		return (LSN_EPROTO);
	if (len > LSN_DIROP_BATCH_MAX)
		return (LSN_ETOOBIG);
	if ((rv = lsn_dirop_batch_new(&b)) != LSN_OK)
		return (rv);
	if (len >= mlen && memcmp(buf, LSN_DIROP_BATCH_MAGIC, mlen) == 0) {
		pb = liaison__v1__signed_dir_op_batch__unpack(NULL, len - mlen,
		    buf + mlen);
		if (pb == NULL) {
			rv = LSN_EPROTO;
			goto out;
		}
		for (size_t i = 0; i < pb->n_ops; i++) {
			if ((rv = lsn_dirop_parse(pb->ops[i].data,
			    pb->ops[i].len, NULL, NULL)) != LSN_OK)
				goto out;
			if ((rv = lsn_dirop_batch_add(b, pb->ops[i].data,
			    pb->ops[i].len)) != LSN_OK)
				goto out;
		}
	} else {
		if ((rv = lsn_dirop_parse(buf, len, NULL, NULL)) != LSN_OK)
			goto out;
		if ((rv = lsn_dirop_batch_add(b, buf, len)) != LSN_OK)
			goto out;
	}
	*out = b;
	b = NULL;
	rv = LSN_OK;
 out:
	if (pb != NULL)
		liaison__v1__signed_dir_op_batch__free_unpacked(pb, NULL);
	lsn_dirop_batch_free(&b);
	return (rv);
}

int
lsn_dirop_batch_save(const struct lsn_dirop_batch *b, int single,
    uint8_t **out, size_t *outlen)
{
	Liaison__V1__SignedDirOpBatch	 pb =
	    LIAISON__V1__SIGNED_DIR_OP_BATCH__INIT;
	ProtobufCBinaryData		*arr = NULL;
	uint8_t				*buf = NULL;
	size_t				 mlen = strlen(LSN_DIROP_BATCH_MAGIC);
	size_t				 n;
	int				 rv;

	if (b == NULL || out == NULL || outlen == NULL)
		return (LSN_EINVAL);
	if (single && b->n == 1) {
		if ((buf = malloc(b->lens[0])) == NULL)
			return (LSN_ENOMEM);
		memcpy(buf, b->ops[0], b->lens[0]);
		*out = buf;
		*outlen = b->lens[0];
		return (LSN_OK);
	}
	if (b->n > 0 && (arr = calloc(b->n, sizeof(*arr))) == NULL)
		return (LSN_ENOMEM);
	for (size_t i = 0; i < b->n; i++) {
		arr[i].data = b->ops[i];
		arr[i].len = b->lens[i];
	}
	pb.n_ops = b->n;
	pb.ops = arr;
	n = liaison__v1__signed_dir_op_batch__get_packed_size(&pb);
	if (n > LSN_DIROP_BATCH_MAX - mlen) {
		rv = LSN_ETOOBIG;
		goto out;
	}
	if ((buf = malloc(mlen + n)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	memcpy(buf, LSN_DIROP_BATCH_MAGIC, mlen);
	if (liaison__v1__signed_dir_op_batch__pack(&pb, buf + mlen) != n) {
		free(buf);
		rv = LSN_EINTERNAL;
		goto out;
	}
	*out = buf;
	*outlen = mlen + n;
	rv = LSN_OK;
 out:
	free(arr);
	return (rv);
}

int
lsn_dirop_batch_sign(struct lsn_dirop_batch *b, const struct lsn_keypair *kp)
{
	uint8_t	*nb;
	size_t	 nlen;
	int	 rv;

	if (b == NULL)
		return (LSN_EINVAL);
	for (size_t i = 0; i < b->n; i++) {
		if ((rv = lsn_dirop_sign(b->ops[i], b->lens[i], kp, &nb,
		    &nlen)) != LSN_OK)
			return (rv);
		free(b->ops[i]);
		b->ops[i] = nb;
		b->lens[i] = nlen;
	}
	return (LSN_OK);
}
