/*
 * dir_int.h -- private declarations shared by lib/dir*.c (the partner
 * directory). Not installed; the public API is include/liaison/dir.h.
 */
#ifndef LIAISON_DIR_INT_H
#define LIAISON_DIR_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "liaison/dir.h"

struct lsn_dir {
	struct lsn_store	*st;
	int			 has_anchor;
	uint8_t			 anchor[LSN_DIR_HASH_BYTES];
};

/* A key row of dir_key. */
struct dir_key {
	char		key_id[LSN_KEYID_HEXLEN + 1];
	char		partner[LSN_DIR_ID_MAX + 1];
	int		purpose;
	uint8_t		pk[LSN_PK_BYTES];
	uint64_t	valid_from;
	uint64_t	valid_until;
	uint64_t	revoked_at;
};

/* dir_op.c */
void	dir_why(char *why, size_t whysz, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	dir_no_unknown_fields(const ProtobufCMessage *m);
int	dir_op_target(const Liaison__V1__DirOp *op, const char **partner,
	    const char **group);
int	dir_keyrec_valid_at(uint64_t from, uint64_t until, uint64_t at);
const Liaison__V1__RootPolicy *dir_op_policy(const Liaison__V1__DirOp *op);
const char *dir_status_name(int status);
const char *dir_kind_name(int kind);
const char *dir_purpose_name(int purpose);
int	dir_status_parse(const char *s, int *out);
int	dir_kind_parse(const char *s, int *out);
int	dir_purpose_parse(const char *s, int *out);
uint32_t dir_policy_threshold(const Liaison__V1__RootPolicy *p, int cls);

/*
 * dir_op_fields.c: checks of the fields and of the messages an op
 * carries whole. Each returns 1 if valid, 0 if not, and the *_ok ones
 * taking why write one naming the field; dir_validate_policy returns
 * LSN_OK, LSN_EINVAL or LSN_EROOT. Nothing is kept; every pointer may
 * be NULL (absent).
 */
int	dir_keyid_shape(const char *kid);
int	dir_validate_policy(const Liaison__V1__RootPolicy *p, char *why,
	    size_t whysz);
int	dir_text_ok(const char *s, size_t min, size_t max);
int	dir_keyrec_ok(const Liaison__V1__KeyRecord *k, int want_purpose,
	    const char *what, char *why, size_t whysz);
int	dir_names_ok(const Liaison__V1__PartnerNames *n, int require_official,
	    char *why, size_t whysz);
int	dir_unit_ok(const Liaison__V1__Unit *u, char *why, size_t whysz);
int	dir_contact_ok(const Liaison__V1__Contact *c, char *why, size_t whysz);
int	dir_partner_new_ok(const Liaison__V1__Partner *p, char *why,
	    size_t whysz);

/* dir.c: hashing helpers */
void	dir_hash_u64(crypto_generichash_state *h, uint64_t v);
void	dir_hash_bytes(crypto_generichash_state *h, const void *p,
	    size_t len);
void	dir_hash_str(crypto_generichash_state *h, const char *s);
void	dir_entry_hash(const uint8_t prev[LSN_DIR_HASH_BYTES], uint64_t rev,
	    const uint8_t *sop, size_t len, uint8_t out[LSN_DIR_HASH_BYTES]);

/*
 * dir.c: SQL helpers over query.h (cached statements; every use ends in
 * lsn_q_reset). Bound texts and blobs are borrowed until the last step;
 * a NULL text binds "". dir_step returns LSN_ROW, LSN_OK or the error of
 * dir_db_error (logged, statement reset); dir_done expects no row.
 */
struct lsn_q;
int	dir_sql(struct lsn_dir *d, const char *sql, struct lsn_q **q);
int	dir_step(struct lsn_dir *d, struct lsn_q *q, const char *what);
int	dir_done(struct lsn_dir *d, struct lsn_q *q);
void	dir_bind_text(struct lsn_q *q, int i, const char *v);
void	dir_bind_u64(struct lsn_q *q, int i, uint64_t v);
void	dir_bind_blob(struct lsn_q *q, int i, const void *p, size_t len);
uint64_t dir_col_u64(struct lsn_q *q, int i);
int	dir_col_int(struct lsn_q *q, int i);
const char *dir_col_text(struct lsn_q *q, int i);
const uint8_t *dir_col_blob(struct lsn_q *q, int i, size_t *len);
int	dir_db_error(struct lsn_dir *d, struct lsn_q *q, int rv,
	    const char *what);

/* dir.c: state access */
int	dir_root_load(struct lsn_dir *d, Liaison__V1__RootPolicy **out);
int	dir_partner_row(struct lsn_dir *d, const char *id, int *found,
	    int *status, uint64_t *version);
int	dir_key_row(struct lsn_dir *d, const char *key_id, int *found,
	    struct dir_key *out);
int	dir_op_seen(struct lsn_dir *d, const uint8_t *op_id, size_t len,
	    int *seen);

/* dir_auth.c: signature and authorization checks (no writes) */
int	dir_check_signers(struct lsn_dir *d,
	    const Liaison__V1__SignedDirOp *sop,
	    const Liaison__V1__DirOp *op, const Liaison__V1__RootPolicy *root,
	    uint64_t now_ms, char *why, size_t whysz);

/* dir_auth.c: applies one entry given as parts, after the chain checks */
int	dir_apply_parts(struct lsn_dir *d, uint64_t rev, const uint8_t *prev,
	    size_t prevlen, const uint8_t *sop, size_t soplen,
	    const uint8_t *hash, size_t hashlen, char *why, size_t whysz);

/*
 * dir_write.c: the state machine's SQL. The dir_q_* run a query with text
 * parameters a and b (b may be NULL: one parameter) and read its first
 * row. dir_w_exec runs a write with text parameters a, b (b may be NULL),
 * after the u64 c as first parameter when has_c; dir_w_u64_text one of
 * the shape "SET x = ? WHERE key = ?".
 */
int	dir_q_exists(struct lsn_dir *d, const char *sql, const char *a,
	    const char *b, int *found);
int	dir_q_text(struct lsn_dir *d, const char *sql, const char *a,
	    const char *b, char *out, size_t outsz);
int	dir_q_u64(struct lsn_dir *d, const char *sql, const char *a,
	    const char *b, int *found, uint64_t *v);
int	dir_w_exec(struct lsn_dir *d, const char *sql, const char *a,
	    const char *b, int has_c, uint64_t c);
int	dir_w_u64_text(struct lsn_dir *d, const char *sql, uint64_t v,
	    const char *a);
int	dir_bump(struct lsn_dir *d, const char *partner, uint64_t when);
int	dir_root_put(struct lsn_dir *d, const Liaison__V1__RootPolicy *p);
int	dir_key_ins(struct lsn_dir *d, const char *partner,
	    const Liaison__V1__KeyRecord *k);
int	dir_unit_put(struct lsn_dir *d, const char *partner,
	    const Liaison__V1__Unit *u);
int	dir_contact_put(struct lsn_dir *d, const char *partner,
	    const Liaison__V1__Contact *c, uint64_t when);

/* dir_apply.c: state rules; writes only when apply != 0 */
int	dir_exec(struct lsn_dir *d, const Liaison__V1__DirOp *op,
	    const Liaison__V1__RootPolicy *root, int apply, char *why,
	    size_t whysz);

/* dir_read.c: building records */
int	dir_partner_build(struct lsn_dir *d, const char *id,
	    Liaison__V1__Partner **out);
/*
 * A contact from the current row of s, columns from c0: contact_id, name,
 * role, unit_id, email, phone, is_24x7, languages, time_zone,
 * verified_at_ms, updated_ms. *out is malloc'd (free_unpacked, NULL).
 */
int	dir_contact_from_row(struct lsn_q *s, int c0,
	    Liaison__V1__Contact **out);

#endif /* LIAISON_DIR_INT_H */
