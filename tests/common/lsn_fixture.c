/* lsn_fixture.c -- a synthetic task force for daemon and integration tests. */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "liaison/dir.h"
#include "liaison/envelope.h"
#include "liaison/keys.h"
#include "liaison/store.h"
#include "liaison/util.h"

#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"
#include "lsn_tstore.h"

#define DAY_MS	(24ULL * 3600 * 1000)

#define FXERR(code, ...) do {						\
	fprintf(stderr, "lsn_fixture: " __VA_ARGS__);			\
	fputc('\n', stderr);						\
	rv = (code);							\
	goto out;							\
} while (0)

/* Drops const for protobuf-c's non-const message fields (never written). */
static void *
uc(const void *p)
{
	return ((void *) (uintptr_t) p);
}

static int
pjoin(char *dst, size_t dstsz, const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b);

	if (la + lb + 2 > dstsz)
		return (LSN_ETOOBIG);
	memcpy(dst, a, la);
	dst[la] = '/';
	memcpy(dst + la + 1, b, lb + 1);
	return (LSN_OK);
}

static int
save_pair(const struct lsn_keypair *kp, const char *dir, const char *base)
{
	char	sk[LSN_FX_PATH_MAX], pk[LSN_FX_PATH_MAX];
	int	rv;

	if (snprintf(sk, sizeof(sk), "%s/%s.key", dir, base) >=
	    (int) sizeof(sk) ||
	    snprintf(pk, sizeof(pk), "%s/%s.pub", dir, base) >=
	    (int) sizeof(pk))
		return (LSN_ETOOBIG);
	if ((rv = lsn_keypair_save(kp, sk, pk)) != LSN_OK)
		fprintf(stderr, "lsn_fixture: save %s: %s\n", sk,
		    lsn_strerror(rv));
	return (rv);
}

static void
keyrec(Liaison__V1__KeyRecord *kr, const struct lsn_keypair *kp,
    uint64_t from)
{
	liaison__v1__key_record__init(kr);
	kr->key_id = uc(kp->key_id);
	kr->has_purpose = 1;
	kr->purpose = (Liaison__V1__KeyPurpose) kp->kind;
	kr->has_public_key = 1;
	kr->public_key.data = uc(kp->pk);
	kr->public_key.len = LSN_PK_BYTES;
	kr->has_valid_from_ms = 1;
	kr->valid_from_ms = from;
}

int
lsn_fixture_op_sign(const struct lsn_fixture *fx,
    const Liaison__V1__DirOp *op, int nadmins, uint8_t **out, size_t *outlen)
{
	Liaison__V1__DirOp	 tmp = *op;
	uint8_t			*buf = NULL, *nb = NULL;
	size_t			 len = 0, nlen = 0;
	char			 why[LSN_DIR_WHY_MAX];
	int			 rv;

	if (tmp.author == NULL)
		tmp.author = uc(LSN_DIR_AUTHOR_ADMIN);
	why[0] = '\0';
	if ((rv = lsn_dirop_new(&tmp, &buf, &len, why, sizeof(why))) !=
	    LSN_OK)
		FXERR(rv, "dirop_new %s: %s (%s)", lsn_dirop_action_name(op),
		    lsn_strerror(rv), why);
	for (int i = 0; i < nadmins && i < 2; i++) {
		if ((rv = lsn_dirop_sign(buf, len, fx->admin[i], &nb,
		    &nlen)) != LSN_OK)
			FXERR(rv, "dirop_sign: %s", lsn_strerror(rv));
		free(buf);
		buf = nb;
		len = nlen;
		nb = NULL;
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
 out:
	free(buf);
	return (rv);
}

static int
submit(struct lsn_dir *d, const struct lsn_fixture *fx,
    Liaison__V1__DirOp *op, int nadmins, uint64_t now)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0;
	char	 why[LSN_DIR_WHY_MAX];
	int	 rv;

	op->has_created_ms = 1;
	op->created_ms = now;
	if ((rv = lsn_fixture_op_sign(fx, op, nadmins, &buf, &len)) !=
	    LSN_OK)
		return (rv);
	why[0] = '\0';
	rv = lsn_dir_submit(d, buf, len, now, NULL, why, sizeof(why));
	if (rv != LSN_OK)
		fprintf(stderr, "lsn_fixture: submit %s: %s (%s)\n",
		    lsn_dirop_action_name(op), lsn_strerror(rv), why);
	free(buf);
	return (rv);
}

static int
build_dir(struct lsn_fixture *fx, const struct lsn_fixture_opts *o)
{
	struct lsn_store		*st = NULL;
	struct lsn_dir			*d = NULL;
	Liaison__V1__DirOp		 op;
	Liaison__V1__InitRoot		 ir;
	Liaison__V1__RootPolicy		 pol;
	Liaison__V1__AdminKey		 ak[2], *akp[2];
	Liaison__V1__KeyRecord		 akr[2], seqkr;
	Liaison__V1__Threshold		 th[3], *thp[3];
	uint64_t			 now = fx->created_ms, from;
	int				 rv;
	static const char *groups[3] = { "all-members", "law-enforcement",
	    "hotlines" };

	from = now - DAY_MS;
	if ((rv = lsn_store_open(fx->broker_db, lsn_dir_migrations,
	    LSN_STORE_NOSYNC, &st)) != LSN_OK)
		FXERR(rv, "open %s: %s", fx->broker_db, lsn_strerror(rv));
	if ((rv = lsn_dir_open(st, &d)) != LSN_OK)
		FXERR(rv, "dir_open: %s", lsn_strerror(rv));
	if ((rv = lsn_store_begin(st)) != LSN_OK)
		goto out;

	/* Genesis. */
	liaison__v1__root_policy__init(&pol);
	pol.has_version = 1;
	pol.version = 1;
	for (int i = 0; i < 2; i++) {
		liaison__v1__admin_key__init(&ak[i]);
		keyrec(&akr[i], fx->admin[i], from);
		ak[i].name = fx->admin[i]->label;
		ak[i].key = &akr[i];
		akp[i] = &ak[i];
	}
	pol.n_admins = 2;
	pol.admins = akp;
	for (int i = 0; i < 3; i++) {
		liaison__v1__threshold__init(&th[i]);
		th[i].has_action_class = 1;
		th[i].action_class = (Liaison__V1__ActionClass) (i + 1);
		th[i].has_k = 1;
		th[i].k = i == 0 ? 1 : 2;
		thp[i] = &th[i];
	}
	pol.n_thresholds = 3;
	pol.thresholds = thp;
	keyrec(&seqkr, fx->seq, from);
	pol.sequencer_key = &seqkr;
	liaison__v1__init_root__init(&ir);
	ir.policy = &pol;
	liaison__v1__dir_op__init(&op);
	op.action_case = LIAISON__V1__DIR_OP__ACTION_INIT_ROOT;
	op.init_root = &ir;
	if ((rv = submit(d, fx, &op, 2, now)) != LSN_OK)
		goto out;

	/* Partners. */
	for (size_t i = 0; i < fx->npartners; i++) {
		struct lsn_fixture_partner	*p = &fx->partners[i];
		Liaison__V1__AddPartner		 ap;
		Liaison__V1__Partner		 pr;
		Liaison__V1__PartnerNames	 nm;
		Liaison__V1__KeyRecord		 kr[3], *krp[3];
		char				 official[128];

		liaison__v1__partner__init(&pr);
		liaison__v1__partner_names__init(&nm);
		snprintf(official, sizeof(official), "Synthetic %s unit %s",
		    p->kind == LIAISON__V1__PARTNER_KIND__KIND_HOTLINE ?
		    "hotline" : "police", p->id);
		nm.official = official;
		pr.id = p->id;
		pr.names = &nm;
		pr.has_kind = 1;
		pr.kind = (Liaison__V1__PartnerKind) p->kind;
		pr.country = uc("XX");
		pr.has_status = 1;
		pr.status = LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE;
		keyrec(&kr[0], p->sign, from);
		keyrec(&kr[1], p->encrypt, from);
		keyrec(&kr[2], p->transport, from);
		for (int k = 0; k < 3; k++)
			krp[k] = &kr[k];
		pr.n_keys = 3;
		pr.keys = krp;
		liaison__v1__add_partner__init(&ap);
		ap.partner = &pr;
		liaison__v1__dir_op__init(&op);
		op.has_expected_version = 1;
		op.expected_version = 0;
		op.action_case = LIAISON__V1__DIR_OP__ACTION_ADD_PARTNER;
		op.add_partner = &ap;
		if ((rv = submit(d, fx, &op, 1, now)) != LSN_OK)
			goto out;
	}

	/* Groups. */
	for (int g = 0; g < 4; g++) {
		Liaison__V1__CreateGroup	cg;
		const char			*name = g < 3 ? groups[g] :
						    o->extra_group;
		uint64_t			 ver = 1;

		if (name == NULL)
			continue;
		liaison__v1__create_group__init(&cg);
		cg.name = uc(name);
		cg.description = uc("synthetic test group");
		liaison__v1__dir_op__init(&op);
		op.has_expected_version = 1;
		op.expected_version = 0;
		op.action_case = LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP;
		op.create_group = &cg;
		if ((rv = submit(d, fx, &op, 1, now)) != LSN_OK)
			goto out;
		for (size_t i = 0; i < fx->npartners; i++) {
			Liaison__V1__AddMember	am;

			if (g == 1 && i % 2 != 0)
				continue;
			if (g == 2 && i % 2 != 1)
				continue;
			if (g == 3 && i >= o->extra_group_n)
				continue;
			liaison__v1__add_member__init(&am);
			am.group = uc(name);
			am.partner_id = fx->partners[i].id;
			liaison__v1__dir_op__init(&op);
			op.has_expected_version = 1;
			op.expected_version = ver;
			op.action_case = LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER;
			op.add_member = &am;
			if ((rv = submit(d, fx, &op, 1, now)) != LSN_OK)
				goto out;
			ver++;
		}
	}
	if ((rv = lsn_store_commit(st)) != LSN_OK)
		goto out;
	if ((rv = lsn_dir_genesis_hash(d, fx->trust_root)) != LSN_OK)
		FXERR(rv, "genesis hash: %s", lsn_strerror(rv));
	lsn_hex_encode(fx->trust_root, LSN_DIR_HASH_BYTES, fx->trust_root_hex);
 out:
	if (st != NULL)
		lsn_store_rollback(st);
	lsn_dir_close(&d);
	lsn_store_close(&st);
	return (rv);
}

int
lsn_fixture_create(const struct lsn_fixture_opts *opts,
    struct lsn_fixture **out)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct lsn_fixture	*fx;
	char			 tmpl[] = "/tmp/lsn-fx-000000";
	const char		*names[2] = { "admin-alice", "admin-bob" };
	int			 rv;

	if (opts != NULL)
		o = *opts;
	if (o.npartners == 0)
		o.npartners = 3;
	if (o.id_prefix == NULL)
		o.id_prefix = "p";
	if (o.npartners > LSN_FX_PARTNERS_MAX)
		return (LSN_EINVAL);
	if ((rv = lsn_init()) != LSN_OK)
		return (rv);
	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return (LSN_ENOMEM);
	fx->keep = getenv("LSN_KEEP_TMP") != NULL;
	fx->created_ms = lsn_now_ms();
	/* mkdtemp's template: the last six characters become 'X'. */
	memset(tmpl + sizeof(tmpl) - 7, 'X', 6);
	/* LSN_FX_TMPDIR: another parent (the power-cut test: a tmpfs,
	 * where fsync costs nothing; its crash VFS models durability). */
	if (getenv("LSN_FX_TMPDIR") != NULL) {
		int n = snprintf(fx->dir, sizeof(fx->dir), "%s/lsn-fx-XXXXXX",
		    getenv("LSN_FX_TMPDIR"));

		if (n < 0 || (size_t) n >= sizeof(fx->dir) - 64 ||
		    mkdtemp(fx->dir) == NULL)
			FXERR(LSN_EIO, "mkdtemp in LSN_FX_TMPDIR");
	} else if (mkdtemp(tmpl) == NULL)
		FXERR(LSN_EIO, "mkdtemp: %s", strerror(errno));
	else
		lsn_strlcpy(fx->dir, tmpl, sizeof(fx->dir));
	if (pjoin(fx->broker_dir, sizeof(fx->broker_dir), fx->dir,
	    "broker") != LSN_OK || mkdir(fx->broker_dir, 0700) == -1)
		FXERR(LSN_EIO, "mkdir broker");
	(void) pjoin(fx->broker_conf, sizeof(fx->broker_conf),
	    fx->broker_dir, "broker.conf");
	/* LSN_TEST_STORE=pg: a fresh database on a throwaway PostgreSQL */
	if ((rv = lsn_tstore_path(fx->broker_dir, "broker.db", fx->broker_db,
	    sizeof(fx->broker_db))) != LSN_OK)
		FXERR(rv, "broker store: %s", lsn_strerror(rv));
	(void) pjoin(fx->broker_log, sizeof(fx->broker_log), fx->broker_dir,
	    "broker.log");
	(void) pjoin(fx->endpoint_file, sizeof(fx->endpoint_file),
	    fx->broker_dir, "endpoint");
	(void) pjoin(fx->broker_sign_key, sizeof(fx->broker_sign_key),
	    fx->broker_dir, "sign.key");
	(void) pjoin(fx->broker_transport_key,
	    sizeof(fx->broker_transport_key), fx->broker_dir,
	    "transport.key");
	(void) pjoin(fx->broker_transport_pub,
	    sizeof(fx->broker_transport_pub), fx->broker_dir,
	    "transport.pub");

	for (int i = 0; i < 2; i++) {
		if ((rv = lsn_keypair_generate(LSN_KEY_SIGN, names[i],
		    &fx->admin[i])) != LSN_OK)
			FXERR(rv, "keygen admin: %s", lsn_strerror(rv));
		if ((rv = save_pair(fx->admin[i], fx->dir, names[i])) !=
		    LSN_OK)
			goto out;
	}
	if ((rv = lsn_keypair_generate(LSN_KEY_SIGN, "broker", &fx->seq)) !=
	    LSN_OK ||
	    (rv = lsn_keypair_generate(LSN_KEY_TRANSPORT, "broker",
	    &fx->broker_transport)) != LSN_OK)
		FXERR(rv, "keygen broker: %s", lsn_strerror(rv));
	if ((rv = save_pair(fx->seq, fx->broker_dir, "sign")) != LSN_OK ||
	    (rv = save_pair(fx->broker_transport, fx->broker_dir,
	    "transport")) != LSN_OK)
		goto out;

	fx->npartners = o.npartners;
	for (size_t i = 0; i < o.npartners; i++) {
		struct lsn_fixture_partner *p = &fx->partners[i];

		snprintf(p->id, sizeof(p->id), "%s%02zu", o.id_prefix, i + 1);
		if (!lsn_slug_valid(p->id))
			FXERR(LSN_EINVAL, "bad partner id %s", p->id);
		p->kind = i % 2 == 0 ?
		    LIAISON__V1__PARTNER_KIND__KIND_LAW_ENFORCEMENT :
		    LIAISON__V1__PARTNER_KIND__KIND_HOTLINE;
		if (pjoin(p->dir, sizeof(p->dir), fx->dir, p->id) != LSN_OK ||
		    mkdir(p->dir, 0700) == -1)
			FXERR(LSN_EIO, "mkdir %s", p->id);
		(void) pjoin(p->agent_conf, sizeof(p->agent_conf), p->dir,
		    "agent.conf");
		(void) pjoin(p->agent_db, sizeof(p->agent_db), p->dir,
		    "agent.db");
		(void) pjoin(p->agent_log, sizeof(p->agent_log), p->dir,
		    "agent.log");
		if ((rv = lsn_keypair_generate(LSN_KEY_SIGN, p->id,
		    &p->sign)) != LSN_OK ||
		    (rv = lsn_keypair_generate(LSN_KEY_ENCRYPT, p->id,
		    &p->encrypt)) != LSN_OK ||
		    (rv = lsn_keypair_generate(LSN_KEY_TRANSPORT, p->id,
		    &p->transport)) != LSN_OK)
			FXERR(rv, "keygen %s: %s", p->id, lsn_strerror(rv));
		if ((rv = save_pair(p->sign, p->dir, "sign")) != LSN_OK ||
		    (rv = save_pair(p->encrypt, p->dir, "encrypt")) !=
		    LSN_OK ||
		    (rv = save_pair(p->transport, p->dir, "transport")) !=
		    LSN_OK)
			goto out;
	}
	if ((rv = build_dir(fx, &o)) != LSN_OK)
		goto out;
	if ((rv = lsn_fixture_write_broker_conf(fx, NULL, NULL)) != LSN_OK)
		goto out;
	*out = fx;
	fx = NULL;
 out:
	lsn_fixture_destroy(&fx);
	return (rv);
}

void
lsn_fixture_destroy(struct lsn_fixture **fxp)
{
	struct lsn_fixture	*fx;

	if (fxp == NULL || (fx = *fxp) == NULL)
		return;
	for (int i = 0; i < 2; i++)
		lsn_keypair_destroy(&fx->admin[i]);
	lsn_keypair_destroy(&fx->seq);
	lsn_keypair_destroy(&fx->broker_transport);
	for (size_t i = 0; i < LSN_FX_PARTNERS_MAX; i++) {
		lsn_keypair_destroy(&fx->partners[i].sign);
		lsn_keypair_destroy(&fx->partners[i].encrypt);
		lsn_keypair_destroy(&fx->partners[i].transport);
	}
	if (fx->dir[0] != '\0') {
		if (fx->keep)
			fprintf(stderr, "lsn_fixture: kept %s\n", fx->dir);
		else
			lsn_test_rmdir(fx->dir);
	}
	free(fx);
	*fxp = NULL;
}

int
lsn_fixture_find(const struct lsn_fixture *fx, const char *id)
{
	for (size_t i = 0; i < fx->npartners; i++)
		if (strcmp(fx->partners[i].id, id) == 0)
			return ((int) i);
	return (-1);
}

static int
write_text(const char *path, const char *text)
{
	int	rv;

	rv = lsn_file_write_atomic(path, text, strlen(text), 0600);
	if (rv != LSN_OK)
		fprintf(stderr, "lsn_fixture: write %s: %s\n", path,
		    lsn_strerror(rv));
	return (rv);
}

int
lsn_fixture_write_broker_conf(struct lsn_fixture *fx, const char *listen,
    const char *extra)
{
	char	buf[8192], head[LSN_FX_PATH_MAX + 32] = "";
	int	n;

	/* a database URI has no file beside which the audit head could go */
	if (lsn_store_is_uri(fx->broker_db))
		snprintf(head, sizeof(head), "audit_head = %s/audit-head\n",
		    fx->broker_dir);
	n = snprintf(buf, sizeof(buf),
	    "[broker]\n"
	    "listen = %s\n"
	    "endpoint_file = %s\n"
	    "db = %s\n"
	    "sign_key = %s\n"
	    "transport_key = %s\n"
	    "%s%s%s",
	    listen != NULL ? listen : "tcp://127.0.0.1:*",
	    fx->endpoint_file, fx->broker_db, fx->broker_sign_key,
	    fx->broker_transport_key, head, extra != NULL ? extra : "",
	    extra != NULL && extra[0] != '\0' &&
	    extra[strlen(extra) - 1] != '\n' ? "\n" : "");
	if (n < 0 || (size_t) n >= sizeof(buf))
		return (LSN_ETOOBIG);
	return (write_text(fx->broker_conf, buf));
}

int
lsn_fixture_write_agent_conf(struct lsn_fixture *fx, size_t i,
    const char *endpoint, const char *extra)
{
	struct lsn_fixture_partner	*p;
	char				 buf[8192];
	int				 n;

	if (i >= fx->npartners)
		return (LSN_EINVAL);
	p = &fx->partners[i];
	n = snprintf(buf, sizeof(buf),
	    "[agent]\n"
	    "partner = %s\n"
	    "broker = %s\n"
	    "broker_key = %s\n"
	    "db = %s\n"
	    "keys_dir = %s\n"
	    "trust_root = %s\n"
	    "%s%s",
	    p->id, endpoint, fx->broker_transport_pub, p->agent_db, p->dir,
	    fx->trust_root_hex, extra != NULL ? extra : "",
	    extra != NULL && extra[0] != '\0' &&
	    extra[strlen(extra) - 1] != '\n' ? "\n" : "");
	if (n < 0 || (size_t) n >= sizeof(buf))
		return (LSN_ETOOBIG);
	return (write_text(p->agent_conf, buf));
}

int
lsn_fixture_endpoint(const struct lsn_fixture *fx, char *buf, size_t bufsz)
{
	uint8_t	*data = NULL;
	size_t	 len = 0;
	int	 rv;

	if ((rv = lsn_file_read(fx->endpoint_file, 4096, &data, &len)) !=
	    LSN_OK)
		return (rv);
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len == 0 || len >= bufsz) {
		free(data);
		return (len == 0 ? LSN_ENOENT : LSN_ETOOBIG);
	}
	memcpy(buf, data, len);
	buf[len] = '\0';
	free(data);
	return (LSN_OK);
}

int
lsn_fixture_start_broker(struct lsn_fixture *fx, int verbose, int *pid,
    char *ep, size_t epsz)
{
	char	*bin, *argv[6];
	char	 epbuf[256];
	int	 rv = LSN_OK, n = 0;
	pid_t	 p;

	(void) unlink(fx->endpoint_file);
	if ((bin = lsn_proc_bin(LSN_BIN_BROKER)) == NULL)
		return (LSN_ENOMEM);
	argv[n++] = bin;
	argv[n++] = uc("-d");
	if (verbose)
		argv[n++] = uc("-v");
	argv[n++] = uc("-c");
	argv[n++] = fx->broker_conf;
	argv[n] = NULL;
	if ((p = lsn_proc_spawn(bin, argv, fx->broker_log)) == -1)
		FXERR(LSN_EIO, "spawn %s", bin);
	if (lsn_proc_wait_file(fx->endpoint_file, 10000, p) != 0) {
		lsn_proc_dump_log(fx->broker_log, 4000);
		(void) lsn_proc_kill9(p);
		FXERR(LSN_EIO, "broker did not start");
	}
	if ((rv = lsn_fixture_endpoint(fx, epbuf, sizeof(epbuf))) != LSN_OK)
		goto out;
	if (ep != NULL && lsn_strlcpy(ep, epbuf, epsz) >= epsz)
		FXERR(LSN_ETOOBIG, "endpoint buffer");
	*pid = (int) p;
 out:
	free(bin);
	return (rv);
}

/* ---- ops ---- */

int
lsn_fixture_op_set_status(const struct lsn_fixture *fx, const char *partner,
    int status, uint64_t expected_version, int nadmins, uint8_t **out,
    size_t *outlen)
{
	Liaison__V1__DirOp	op;
	Liaison__V1__SetStatus	ss;

	liaison__v1__set_status__init(&ss);
	ss.partner_id = uc(partner);
	ss.has_status = 1;
	ss.status = (Liaison__V1__PartnerStatus) status;
	liaison__v1__dir_op__init(&op);
	op.has_expected_version = 1;
	op.expected_version = expected_version;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_STATUS;
	op.set_status = &ss;
	return (lsn_fixture_op_sign(fx, &op, nadmins, out, outlen));
}

int
lsn_fixture_op_create_group(const struct lsn_fixture *fx, const char *name,
    int nadmins, uint8_t **out, size_t *outlen)
{
	Liaison__V1__DirOp		op;
	Liaison__V1__CreateGroup	cg;

	liaison__v1__create_group__init(&cg);
	cg.name = uc(name);
	cg.description = uc("synthetic test group");
	liaison__v1__dir_op__init(&op);
	op.has_expected_version = 1;
	op.expected_version = 0;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP;
	op.create_group = &cg;
	return (lsn_fixture_op_sign(fx, &op, nadmins, out, outlen));
}

int
lsn_fixture_partner_version(const struct lsn_fixture *fx,
    const char *partner, uint64_t *version)
{
	struct lsn_store	*st = NULL;
	struct lsn_dir		*d = NULL;
	Liaison__V1__Partner	*p = NULL;
	int			 rv;

	/* Read-only: no migration runs; the broker's DB is at version 4. */
	static const struct lsn_migration ro[] = {
		{ 1, lsn_dir_schema_v1, NULL }, { 2, "SELECT 1", NULL },
		{ 3, "SELECT 1", NULL }, { 4, "SELECT 1", NULL },
		{ 0, NULL, NULL },
	};

	if ((rv = lsn_store_open(fx->broker_db, ro, LSN_STORE_READONLY,
	    &st)) != LSN_OK)
		FXERR(rv, "open %s: %s", fx->broker_db, lsn_strerror(rv));
	if ((rv = lsn_dir_open(st, &d)) != LSN_OK ||
	    (rv = lsn_dir_partner_get(d, partner, &p)) != LSN_OK)
		FXERR(rv, "partner %s: %s", partner, lsn_strerror(rv));
	*version = p->version;
 out:
	lsn_dir_partner_free(&p);
	lsn_dir_close(&d);
	lsn_store_close(&st);
	return (rv);
}

int
lsn_fixture_apply(const struct lsn_fixture *fx, const uint8_t *op,
    size_t len)
{
	struct lsn_store	*st = NULL;
	struct lsn_dir		*d = NULL;
	char			 why[LSN_DIR_WHY_MAX] = "";
	int			 rv;

	if ((rv = lsn_store_open(fx->broker_db, lsn_dir_migrations,
	    LSN_STORE_NOSYNC, &st)) != LSN_OK)
		FXERR(rv, "open %s: %s", fx->broker_db, lsn_strerror(rv));
	if ((rv = lsn_dir_open(st, &d)) != LSN_OK)
		goto out;
	rv = lsn_dir_submit(d, op, len, lsn_now_ms(), NULL, why, sizeof(why));
	if (rv != LSN_OK)
		fprintf(stderr, "lsn_fixture: apply: %s (%s)\n",
		    lsn_strerror(rv), why);
 out:
	lsn_dir_close(&d);
	lsn_store_close(&st);
	return (rv);
}

/* ---- envelopes ---- */

/* lsn_fixture_envelope() and lsn_fixture_envelope_pack(): the same
 * Envelope, signed and wrapped (pack 0) or only packed (pack 1). */
static int
fx_envelope(const struct lsn_fixture *fx, size_t from,
    const struct lsn_fixture_msg *m, int pack, uint8_t msgid[16],
    uint8_t **out, size_t *outlen)
{
	Liaison__V1__Envelope	 env;
	Liaison__V1__Handling	 h;
	Liaison__V1__Note	 note;
	uint8_t			 id[LSN_MSGID_BYTES], *body = NULL;
	char			*text = NULL;
	const char		*field = NULL, *base;
	size_t			 nto = 0, ngr = 0, blen, tlen;
	int			 rv;

	if (from >= fx->npartners)
		return (LSN_EINVAL);
	while (nto < 8 && m->to[nto] != NULL)
		nto++;
	while (ngr < 8 && m->groups[ngr] != NULL)
		ngr++;
	if (m->message_id != NULL)
		memcpy(id, m->message_id, sizeof(id));
	else
		lsn_message_id_new(id);
	base = m->text != NULL ? m->text : "synthetic test";
	tlen = strlen(base) + m->pad;
	if ((text = malloc(tlen + 1)) == NULL)
		return (LSN_ENOMEM);
	memcpy(text, base, strlen(base));
	memset(text + strlen(base), 'x', m->pad);
	text[tlen] = '\0';
	liaison__v1__note__init(&note);
	note.text = text;
	blen = liaison__v1__note__get_packed_size(&note);
	if ((body = malloc(blen + 1)) == NULL)
		FXERR(LSN_ENOMEM, "malloc");
	(void) liaison__v1__note__pack(&note, body);

	liaison__v1__handling__init(&h);
	h.has_tlp = 1;
	h.tlp = LIAISON__V1__TLP__TLP_GREEN;
	liaison__v1__envelope__init(&env);
	env.has_version = 1;
	env.version = LSN_ENVELOPE_VERSION;
	env.has_message_id = 1;
	env.message_id.data = id;
	env.message_id.len = sizeof(id);
	env.sender = uc(m->sender);
	env.n_to = nto;
	env.to = uc(m->to);
	env.n_to_groups = ngr;
	env.to_groups = uc(m->groups);
	env.has_created_ms = 1;
	env.created_ms = m->created_ms != 0 ? m->created_ms : lsn_now_ms();
	if (m->expires_ms != 0) {
		env.has_expires_ms = 1;
		env.expires_ms = m->expires_ms;
	}
	env.has_type = 1;
	env.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	if (m->priority != 0) {
		env.has_priority = 1;
		env.priority = (Liaison__V1__Priority) m->priority;
	}
	env.handling = &h;
	env.has_body = 1;
	env.body.data = body;
	env.body.len = blen;
	rv = pack ? lsn_envelope_pack(&env, fx->partners[from].sign, out,
	    outlen, &field) : lsn_envelope_sign(&env, fx->partners[from].sign,
	    out, outlen, &field);
	if (rv != LSN_OK)
		FXERR(rv, "envelope_%s: %s (%s)", pack ? "pack" : "sign",
		    lsn_strerror(rv), field != NULL ? field : "-");
	if (msgid != NULL)
		memcpy(msgid, id, sizeof(id));
 out:
	free(body);
	free(text);
	return (rv);
}

int
lsn_fixture_envelope(const struct lsn_fixture *fx, size_t from,
    const struct lsn_fixture_msg *m, uint8_t msgid[16], uint8_t **out,
    size_t *outlen)
{
	return (fx_envelope(fx, from, m, 0, msgid, out, outlen));
}

int
lsn_fixture_envelope_pack(const struct lsn_fixture *fx, size_t from,
    const struct lsn_fixture_msg *m, uint8_t msgid[16], uint8_t **out,
    size_t *outlen)
{
	return (fx_envelope(fx, from, m, 1, msgid, out, outlen));
}

/* ---- raw wire clients ---- */

int
lsn_fixture_dealer(const struct lsn_fixture *fx, void *ctx, size_t i,
    const struct lsn_keypair *kp, const char *endpoint, void **sock)
{
	char	 pub[LSN_Z85_KEYLEN + 1], sec[LSN_Z85_KEYLEN + 1];
	char	 srv[LSN_Z85_KEYLEN + 1];
	void	*s;
	int	 zero = 0, rv;

	if (kp == NULL) {
		if (i >= fx->npartners)
			return (LSN_EINVAL);
		kp = fx->partners[i].transport;
	}
	if ((rv = lsn_key_z85(kp->pk, pub)) != LSN_OK ||
	    (rv = lsn_key_z85(kp->sk, sec)) != LSN_OK ||
	    (rv = lsn_key_z85(fx->broker_transport->pk, srv)) != LSN_OK)
		return (rv);
	if ((s = zmq_socket(ctx, ZMQ_DEALER)) == NULL)
		return (LSN_EIO);
	if (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, srv, LSN_Z85_KEYLEN) ||
	    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, LSN_Z85_KEYLEN) ||
	    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, LSN_Z85_KEYLEN) ||
	    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero)) ||
	    zmq_connect(s, endpoint) != 0) {
		fprintf(stderr, "lsn_fixture: dealer: %s\n",
		    zmq_strerror(zmq_errno()));
		zmq_close(s);
		return (LSN_EIO);
	}
	sodium_memzero(sec, sizeof(sec));
	*sock = s;
	return (LSN_OK);
}

int
lsn_fixture_send(void *sock, const Liaison__V1__Frame *f)
{
	size_t	 len = liaison__v1__frame__get_packed_size(f);
	uint8_t	*buf;
	int	 rv = LSN_OK;

	if ((buf = malloc(len + 1)) == NULL)
		return (LSN_ENOMEM);
	(void) liaison__v1__frame__pack(f, buf);
	if (zmq_send(sock, buf, len, 0) != (int) len)
		rv = LSN_EIO;
	free(buf);
	return (rv);
}

int
lsn_fixture_recv(void *sock, int timeout_ms, Liaison__V1__Frame **out)
{
	zmq_pollitem_t		 pi = { .socket = sock, .events = ZMQ_POLLIN };
	zmq_msg_t		 msg;
	Liaison__V1__Frame	*f;
	int			 n;

	n = zmq_poll(&pi, 1, timeout_ms);
	if (n <= 0)
		return (LSN_ETIMEDOUT);
	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) == -1) {
		zmq_msg_close(&msg);
		return (LSN_ETIMEDOUT);
	}
	f = liaison__v1__frame__unpack(NULL, zmq_msg_size(&msg),
	    zmq_msg_data(&msg));
	zmq_msg_close(&msg);
	if (f == NULL)
		return (LSN_EPROTO);
	*out = f;
	return (LSN_OK);
}

static long long
fx_mono(void)
{
	return ((long long) lsn_mono_ms());
}

int
lsn_fixture_recv_kind(void *sock, int kind, int timeout_ms,
    Liaison__V1__Frame **out)
{
	long long		 end = fx_mono() + timeout_ms;
	Liaison__V1__Frame	*f;
	int			 rv;

	for (;;) {
		long long left = end - fx_mono();

		if (left <= 0)
			return (LSN_ETIMEDOUT);
		if ((rv = lsn_fixture_recv(sock, (int) left, &f)) != LSN_OK)
			return (rv);
		if ((int) f->kind_case == kind) {
			*out = f;
			return (LSN_OK);
		}
		liaison__v1__frame__free_unpacked(f, NULL);
	}
}

int
lsn_fixture_hello(void *sock, uint64_t cursor, int timeout_ms,
    Liaison__V1__Frame **welcome)
{
	Liaison__V1__Frame	 f, *w = NULL;
	Liaison__V1__Hello	 h;
	int			 rv;

	liaison__v1__hello__init(&h);
	h.has_protocol_version = 1;
	h.protocol_version = 1;
	h.has_delivery_cursor = 1;
	h.delivery_cursor = cursor;
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_HELLO;
	f.hello = &h;
	if ((rv = lsn_fixture_send(sock, &f)) != LSN_OK)
		return (rv);
	if ((rv = lsn_fixture_recv_kind(sock, LIAISON__V1__FRAME__KIND_WELCOME,
	    timeout_ms, &w)) != LSN_OK)
		return (rv);
	if (welcome != NULL)
		*welcome = w;
	else
		liaison__v1__frame__free_unpacked(w, NULL);
	return (LSN_OK);
}

static size_t
put_varint(uint8_t *p, size_t v)
{
	size_t	n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t) v;
	return (n);
}

int
lsn_fixture_publish_raw(void *sock, const uint8_t *env, size_t len)
{
	uint8_t	*buf;
	size_t	 n = 0, inner;
	uint8_t	 tmp[16];
	int	 rv = LSN_OK;

	/* Frame{publish(3): Publish{envelope(1): bytes}}, by hand, so the
	 * exact (possibly malformed) envelope bytes are carried. */
	inner = 1 + put_varint(tmp, len) + len;
	if ((buf = malloc(len + 32)) == NULL)
		return (LSN_ENOMEM);
	buf[n++] = 0x1a;
	n += put_varint(buf + n, inner);
	buf[n++] = 0x0a;
	n += put_varint(buf + n, len);
	memcpy(buf + n, env, len);
	n += len;
	if (zmq_send(sock, buf, n, 0) != (int) n)
		rv = LSN_EIO;
	free(buf);
	return (rv);
}

int
lsn_fixture_publish(void *sock, const uint8_t *env, size_t len,
    int timeout_ms, int *code)
{
	Liaison__V1__Frame	*a = NULL;
	int			 rv;

	if ((rv = lsn_fixture_publish_raw(sock, env, len)) != LSN_OK)
		return (rv);
	if ((rv = lsn_fixture_recv_kind(sock,
	    LIAISON__V1__FRAME__KIND_PUBLISH_ACK, timeout_ms, &a)) != LSN_OK)
		return (rv);
	*code = lsn_err_from_wire(a->publish_ack->has_code ?
	    (int) a->publish_ack->code : 0);
	liaison__v1__frame__free_unpacked(a, NULL);
	return (LSN_OK);
}

int
lsn_fixture_deliver_ack(void *sock, uint64_t seq)
{
	Liaison__V1__Frame	f;
	Liaison__V1__DeliverAck	a;

	liaison__v1__deliver_ack__init(&a);
	a.has_seq = 1;
	a.seq = seq;
	a.has_code = 1;
	a.code = LIAISON__V1__ERROR_CODE__OK;
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_DELIVER_ACK;
	f.deliver_ack = &a;
	return (lsn_fixture_send(sock, &f));
}
