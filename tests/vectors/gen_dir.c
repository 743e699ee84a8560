/*
 * gen_dir.c -- directory vectors: a seven-entry log (genesis, three
 * partners, a self-service contact, a group and a member), each op's
 * bytes, signatures and entry hash; the root policy hash with its
 * preimage; the state and content digests with their preimages and the
 * rows they cover; a signed head checkpoint.
 *
 * The preimages are written here from the rules of docs/protocol.md and
 * checked against the library's hashes (lsn_dir_policy_hash,
 * lsn_dir_digest, lsn_dir_content_digest): a disagreement stops the
 * generator.
 */
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "liaison/dir.h"
#include "liaison/sig.h"
#include "liaison/store.h"
#include "liaison/util.h"
#include "gen.h"

#define DAY_MS	86400000ULL

/* A growing preimage. */
struct pre {
	uint8_t	*p;
	size_t	 len, cap;
};

static void
pre_add(struct pre *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 256;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			GEN_OK(LSN_ENOMEM);
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
pre_u64(struct pre *b, uint64_t v)
{
	uint8_t	x[8];

	for (int i = 7; i >= 0; i--) {
		x[i] = (uint8_t) (v & 0xff);
		v >>= 8;
	}
	pre_add(b, x, 8);
}

static void
pre_bytes(struct pre *b, const void *p, size_t n)
{
	pre_u64(b, n);
	pre_add(b, p, n);
}

static void
pre_str(struct pre *b, const char *s)
{
	pre_bytes(b, s == NULL ? "" : s, s == NULL ? 0 : strlen(s));
}

static Liaison__V1__KeyRecord *
keyrec(const struct lsn_keypair *kp, int purpose, uint64_t from)
{
	static Liaison__V1__KeyRecord	 pool[16];
	static size_t			 used;
	Liaison__V1__KeyRecord		*k;

	if (used == sizeof(pool) / sizeof(pool[0]))
		GEN_OK(LSN_ENOMEM);
	k = &pool[used++];
	liaison__v1__key_record__init(k);
	k->key_id = (char *) (uintptr_t) kp->key_id;
	k->has_purpose = 1;
	k->purpose = (Liaison__V1__KeyPurpose) purpose;
	k->has_public_key = 1;
	k->public_key.data = (uint8_t *) (uintptr_t) kp->pk;
	k->public_key.len = LSN_PK_BYTES;
	k->has_valid_from_ms = 1;
	k->valid_from_ms = from;
	return (k);
}

static void
pre_keyrec(struct pre *b, const Liaison__V1__KeyRecord *k)
{
	pre_str(b, k->key_id);
	pre_u64(b, k->purpose);
	pre_bytes(b, k->public_key.data, k->public_key.len);
	pre_u64(b, k->valid_from_ms);
	pre_u64(b, k->valid_until_ms);
	pre_u64(b, k->revoked_at_ms);
}

/* Builds, signs (signers in order), submits; appends the log entry. */
static void
submit(struct lsn_dir *d, Liaison__V1__DirOp *op, const char *author,
    uint64_t exp, uint64_t created, const struct lsn_keypair *const *signers,
    size_t nsig, const char *what, json_t *log)
{
	Liaison__V1__LogEntry	*le;
	Liaison__V1__SignedDirOp *sop;
	Liaison__V1__DirOp	*dop;
	uint8_t			*buf = NULL, *nb, *ent;
	size_t			 len, nlen, elen;
	uint64_t		 rev;
	char			 why[LSN_DIR_WHY_MAX] = "";
	json_t			*v, *sigs;

	op->author = (char *) (uintptr_t) author;
	op->has_expected_version = 1;
	op->expected_version = exp;
	op->has_created_ms = 1;
	op->created_ms = created;
	GEN_OK(lsn_dirop_new(op, &buf, &len, why, sizeof(why)));
	for (size_t i = 0; i < nsig; i++) {
		GEN_OK(lsn_dirop_sign(buf, len, signers[i], &nb, &nlen));
		free(buf);
		buf = nb;
		len = nlen;
	}
	if (lsn_dir_submit(d, buf, len, created, &rev, why, sizeof(why)) !=
	    LSN_OK) {
		fprintf(stderr, "gen_vectors: %s: %s\n", what, why);
		exit(1);
	}
	GEN_OK(lsn_dir_entry_get(d, rev, &ent, &elen));
	le = liaison__v1__log_entry__unpack(NULL, elen, ent);
	sop = liaison__v1__signed_dir_op__unpack(NULL, len, buf);
	if (le == NULL || sop == NULL || (dop =
	    liaison__v1__dir_op__unpack(NULL, sop->op.len, sop->op.data)) ==
	    NULL)
		GEN_OK(LSN_EPROTO);
	v = json_object();
	json_object_set_new(v, "what", json_string(what));
	json_object_set_new(v, "rev", json_integer((json_int_t) rev));
	json_object_set_new(v, "op", gen_msg(&dop->base));
	sigs = json_array();
	for (size_t i = 0; i < nsig; i++) {
		json_t	*s = json_object();

		json_object_set_new(s, "signer", json_string(
		    signers[i]->label));
		json_object_set_new(s, "key_id", json_string(
		    signers[i]->key_id));
		json_array_append_new(sigs, s);
	}
	json_object_set_new(v, "signers", sigs);
	json_object_set_new(v, "signed_op", gen_msg(&sop->base));
	json_object_set_new(v, "log_entry", gen_msg(&le->base));
	json_array_append_new(log, v);
	liaison__v1__dir_op__free_unpacked(dop, NULL);
	liaison__v1__signed_dir_op__free_unpacked(sop, NULL);
	liaison__v1__log_entry__free_unpacked(le, NULL);
	free(ent);
	free(buf);
}

static json_t *
policy_vector(const Liaison__V1__RootPolicy *p)
{
	struct pre	 b = { 0 };
	uint8_t		 h[32], h2[32];
	size_t		 order[LSN_DIR_ADMINS_MAX];
	json_t		*v = json_object();

	pre_str(&b, "liaison/root-policy/v1");
	pre_u64(&b, p->version);
	pre_keyrec(&b, p->sequencer_key);
	pre_u64(&b, p->n_admins);
	for (size_t i = 0; i < p->n_admins; i++)
		order[i] = i;
	for (size_t i = 0; i < p->n_admins; i++)	/* by key id */
		for (size_t j = i + 1; j < p->n_admins; j++)
			if (strcmp(p->admins[order[j]]->key->key_id,
			    p->admins[order[i]]->key->key_id) < 0) {
				size_t t = order[i];

				order[i] = order[j];
				order[j] = t;
			}
	for (size_t i = 0; i < p->n_admins; i++) {
		pre_str(&b, p->admins[order[i]]->name);
		pre_keyrec(&b, p->admins[order[i]]->key);
	}
	for (size_t c = 0; c < 3; c++)		/* ROUTINE, SENSITIVE, ROOT */
		pre_u64(&b, p->thresholds[c]->k);
	lsn_dir_policy_hash(p, h);
	(void) crypto_generichash(h2, 32, b.p, b.len, NULL, 0);
	if (memcmp(h, h2, 32) != 0) {
		fprintf(stderr, "gen_vectors: policy preimage disagrees\n");
		exit(1);
	}
	json_object_set_new(v, "policy", gen_msg(&p->base));
	json_object_set_new(v, "preimage", vec_hex(b.p, b.len));
	json_object_set_new(v, "hash", vec_hex(h, 32));
	free(b.p);
	return (v);
}

/* The digest tables: name, SQL, column names with types, content skips. */
static const struct table {
	const char	*name;
	const char	*sql;
	const char	*cols[12];
	const char	*types;		/* t text, i integer, b blob */
	unsigned	 content_skip;
} tables[] = {
	{ "partners", "SELECT id, official, short_name, local_name, kind, "
	  "country, status, version, created_ms, updated_ms FROM dir_partner "
	  "ORDER BY id", { "id", "official", "short_name", "local_name",
	  "kind", "country", "status", "version", "created_ms", "updated_ms" },
	  "ttttitiiii", (1u << 7) | (1u << 8) | (1u << 9) },
	{ "keys", "SELECT partner, key_id, purpose, public_key, "
	  "valid_from_ms, valid_until_ms, revoked_at_ms FROM dir_key ORDER BY "
	  "partner, key_id", { "partner", "key_id", "purpose", "public_key",
	  "valid_from_ms", "valid_until_ms", "revoked_at_ms" }, "ttibiii", 0 },
	{ "units", "SELECT partner, unit_id, name, hours, fallback_unit FROM "
	  "dir_unit ORDER BY partner, unit_id", { "partner", "unit_id", "name",
	  "hours", "fallback_unit" }, "ttttt", 0 },
	{ "contacts", "SELECT partner, contact_id, name, role, unit_id, "
	  "email, phone, is_24x7, languages, time_zone, verified_at_ms, "
	  "updated_ms FROM dir_contact ORDER BY partner, contact_id",
	  { "partner", "contact_id", "name", "role", "unit_id", "email",
	  "phone", "is_24x7", "languages", "time_zone", "verified_at_ms",
	  "updated_ms" }, "tttttttittii", 1u << 11 },
	{ "groups", "SELECT name, description, version FROM dir_group ORDER "
	  "BY name", { "name", "description", "version" }, "tti", 1u << 2 },
	{ "members", "SELECT grp, partner FROM dir_member ORDER BY grp, "
	  "partner", { "grp", "partner" }, "tt", 0 },
};

/*
 * Rows of every table as JSON, and both digest preimages. Long because it
 * walks every column of every table once for both digests; split, the two
 * preimages could drift apart.
 */
static json_t *
digest_vector(struct lsn_dir *d, struct lsn_store *st, const uint8_t ph[32])
{
	struct pre	 s = { 0 }, c = { 0 };
	uint8_t		 h[32], lh[32];
	json_t		*v = json_object(), *tj = json_object();

	pre_str(&s, "liaison/dir-state/v1");
	pre_str(&c, "liaison/dir-content/v1");
	pre_bytes(&s, ph, 32);
	pre_bytes(&c, ph, 32);
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		const struct table	*tb = &tables[t];
		sqlite3_stmt		*q;
		uint64_t		 n = 0;
		json_t			*rows = json_array();
		json_t			*cols = json_array();
		size_t			 ncol = strlen(tb->types);

		for (size_t i = 0; i < ncol; i++) {
			json_t *cj = json_array();

			json_array_append_new(cj, json_string(tb->cols[i]));
			json_array_append_new(cj, json_string(tb->types[i] ==
			    't' ? "text" : tb->types[i] == 'i' ? "integer" :
			    "blob"));
			json_array_append_new(cj, json_boolean(
			    (tb->content_skip >> i) & 1));
			json_array_append_new(cols, cj);
		}
		pre_str(&s, tb->name);
		pre_str(&c, tb->name);
		GEN_OK(sqlite3_prepare_v2(lsn_store_db(st), tb->sql, -1, &q,
		    NULL));
		while (sqlite3_step(q) == SQLITE_ROW) {
			json_t *r = json_array();

			pre_u64(&s, 0x524f57);
			pre_u64(&c, 0x524f57);
			for (size_t i = 0; i < ncol; i++) {
				int skip = (tb->content_skip >> i) & 1;
				int ty = sqlite3_column_type(q, (int) i);

				if ((ty == SQLITE_INTEGER) != (tb->types[i] ==
				    'i')) {
					fprintf(stderr, "gen_vectors: %s.%s "
					    "has sqlite type %d\n", tb->name,
					    tb->cols[i], ty);
					exit(1);
				}

				if (tb->types[i] == 'i') {
					uint64_t x = (uint64_t)
					    sqlite3_column_int64(q, (int) i);

					pre_u64(&s, x);
					if (!skip)
						pre_u64(&c, x);
					json_array_append_new(r,
					    json_integer((json_int_t) x));
					continue;
				}
				const void *p = sqlite3_column_blob(q, (int) i);
				size_t m = (size_t) sqlite3_column_bytes(q,
				    (int) i);

				pre_bytes(&s, p, m);
				if (!skip)
					pre_bytes(&c, p, m);
				if (tb->types[i] == 'b')
					json_array_append_new(r, vec_hex(p, m));
				else
					json_array_append_new(r, json_stringn(
					    p == NULL ? "" : p, m));
			}
			json_array_append_new(rows, r);
			n++;
		}
		sqlite3_finalize(q);
		pre_u64(&s, n);
		pre_u64(&c, n);
		json_t *tv = json_object();

		json_object_set_new(tv, "columns", cols);
		json_object_set_new(tv, "rows", rows);
		json_object_set_new(tj, tb->name, tv);
	}
	json_object_set_new(v, "tables", tj);
	GEN_OK(lsn_dir_digest(d, lh));
	(void) crypto_generichash(h, 32, s.p, s.len, NULL, 0);
	if (memcmp(h, lh, 32) != 0) {
		fprintf(stderr, "gen_vectors: state preimage disagrees\n");
		exit(1);
	}
	json_object_set_new(v, "state_preimage", vec_hex(s.p, s.len));
	json_object_set_new(v, "state_digest", vec_hex(h, 32));
	GEN_OK(lsn_dir_content_digest(d, lh));
	(void) crypto_generichash(h, 32, c.p, c.len, NULL, 0);
	if (memcmp(h, lh, 32) != 0) {
		fprintf(stderr, "gen_vectors: content preimage disagrees\n");
		exit(1);
	}
	json_object_set_new(v, "content_preimage", vec_hex(c.p, c.len));
	json_object_set_new(v, "content_digest", vec_hex(h, 32));
	free(s.p);
	free(c.p);
	return (v);
}

static Liaison__V1__Partner *
partner(const char *id, const char *official, const char *shortn,
    const char *country, int kind, const struct lsn_keypair *sign,
    const struct lsn_keypair *enc, const struct lsn_keypair *tr)
{
	static Liaison__V1__PartnerNames names[3];
	static Liaison__V1__Partner	 parts[3];
	static Liaison__V1__KeyRecord	*keys[3][3];
	static int			 n;
	Liaison__V1__Partner		*p = &parts[n];

	liaison__v1__partner_names__init(&names[n]);
	names[n].official = (char *) (uintptr_t) official;
	names[n].short_name = (char *) (uintptr_t) shortn;
	liaison__v1__partner__init(p);
	p->id = (char *) (uintptr_t) id;
	p->names = &names[n];
	p->has_kind = 1;
	p->kind = (Liaison__V1__PartnerKind) kind;
	p->country = (char *) (uintptr_t) country;
	p->has_status = 1;
	p->status = LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE;
	keys[n][0] = keyrec(sign, LSN_KEY_SIGN, GEN_T0 - DAY_MS);
	keys[n][1] = keyrec(enc, LSN_KEY_ENCRYPT, GEN_T0 - DAY_MS);
	keys[n][2] = keyrec(tr, LSN_KEY_TRANSPORT, GEN_T0 - DAY_MS);
	p->n_keys = 3;
	p->keys = keys[n];
	n++;
	return (p);
}

/* An op batch file (magic + SignedDirOpBatch) of the ops of revs 2, 3. */
static json_t *
batch_vector(struct lsn_dir *d)
{
	struct lsn_dirop_batch	*b = NULL;
	Liaison__V1__LogEntry	*le;
	uint8_t			*ent, *file;
	size_t			 elen, flen;
	json_t			*v = json_object(), *ops = json_array();

	GEN_OK(lsn_dirop_batch_new(&b));
	for (uint64_t rev = 2; rev <= 3; rev++) {
		GEN_OK(lsn_dir_entry_get(d, rev, &ent, &elen));
		if ((le = liaison__v1__log_entry__unpack(NULL, elen, ent)) ==
		    NULL)
			GEN_OK(LSN_EPROTO);
		GEN_OK(lsn_dirop_batch_add(b, le->signed_op.data,
		    le->signed_op.len));
		json_array_append_new(ops, vec_hex(le->signed_op.data,
		    le->signed_op.len));
		liaison__v1__log_entry__free_unpacked(le, NULL);
		free(ent);
	}
	GEN_OK(lsn_dirop_batch_save(b, 0, &file, &flen));
	json_object_set_new(v, "about", json_string("an op batch file with "
	    "the signed ops of revs 2 and 3"));
	json_object_set_new(v, "ops", ops);
	json_object_set_new(v, "file", vec_hex(file, flen));
	free(file);
	lsn_dirop_batch_free(&b);
	return (v);
}

/*
 * Long but linear: the fixed sequence of the vectors' ops, each built and
 * submitted in turn; splitting it would only scatter the fixed inputs.
 */
json_t *
gen_directory(const struct gen_keys *k, uint64_t *head_rev,
    uint8_t head_hash[32])
{
	struct lsn_store		*st = NULL;
	struct lsn_dir			*d = NULL;
	Liaison__V1__RootPolicy		 pol = LIAISON__V1__ROOT_POLICY__INIT;
	Liaison__V1__AdminKey		 adm[2], *admp[2];
	Liaison__V1__Threshold		 th[3], *thp[3];
	Liaison__V1__DirOp		 op;
	Liaison__V1__InitRoot		 ir = LIAISON__V1__INIT_ROOT__INIT;
	Liaison__V1__AddPartner		 ap = LIAISON__V1__ADD_PARTNER__INIT;
	Liaison__V1__SetContact		 sc = LIAISON__V1__SET_CONTACT__INIT;
	Liaison__V1__Contact		 ct = LIAISON__V1__CONTACT__INIT;
	Liaison__V1__CreateGroup	 cg = LIAISON__V1__CREATE_GROUP__INIT;
	Liaison__V1__AddMember		 am = LIAISON__V1__ADD_MEMBER__INIT;
	const struct lsn_keypair	*both[2] = { k->admin_a, k->admin_b };
	char				*langs[1] = { (char *) "en" };
	uint8_t				 ph[32], *cp;
	size_t				 cplen;
	uint64_t			 t = GEN_T0 - DAY_MS + 60000;
	json_t				*v = json_object(), *log = json_array();

	GEN_OK(lsn_store_open(":memory:", lsn_dir_migrations,
	    LSN_STORE_NOSYNC, &st));
	GEN_OK(lsn_dir_open(st, &d));
	pol.has_version = 1;
	pol.version = 1;
	for (int i = 0; i < 2; i++) {
		liaison__v1__admin_key__init(&adm[i]);
		adm[i].name = (char *) (uintptr_t) both[i]->label;
		adm[i].key = keyrec(both[i], LSN_KEY_SIGN, 0);
		admp[i] = &adm[i];
	}
	pol.n_admins = 2;
	pol.admins = admp;
	for (int c = 0; c < 3; c++) {
		liaison__v1__threshold__init(&th[c]);
		th[c].has_action_class = 1;
		th[c].action_class = (Liaison__V1__ActionClass) (c + 1);
		th[c].has_k = 1;
		th[c].k = c == 0 ? 1 : 2;
		thp[c] = &th[c];
	}
	pol.n_thresholds = 3;
	pol.thresholds = thp;
	pol.sequencer_key = keyrec(k->seq, LSN_KEY_SIGN, 0);
	json_object_set_new(v, "root_policy_hash", policy_vector(&pol));
	lsn_dir_policy_hash(&pol, ph);

	liaison__v1__dir_op__init(&op);
	ir.policy = &pol;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_INIT_ROOT;
	op.init_root = &ir;
	submit(d, &op, "admin", 0, t, both, 2, "genesis (InitRoot)", log);

	liaison__v1__dir_op__init(&op);
	op.action_case = LIAISON__V1__DIR_OP__ACTION_ADD_PARTNER;
	op.add_partner = &ap;
	ap.partner = partner("au-afp", "Australian Federal Police "
	    "(synthetic)", "AFP", "AU", 1, k->au_sign, k->au_enc, k->au_tr);
	submit(d, &op, "admin", 0, t + 1000, both, 1, "AddPartner au-afp",
	    log);
	ap.partner = partner("nl-police", "Netherlands Police (synthetic)",
	    "NP", "NL", 1, k->nl_sign, k->nl_enc, k->nl_tr);
	submit(d, &op, "admin", 0, t + 2000, both, 1, "AddPartner nl-police",
	    log);
	ap.partner = partner("be-hotline", "Belgian Hotline (synthetic)",
	    "BH", "BE", 3, k->be_sign, k->be_enc, k->be_tr);
	submit(d, &op, "admin", 0, t + 3000, both, 1, "AddPartner be-hotline",
	    log);

	liaison__v1__dir_op__init(&op);
	op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_CONTACT;
	op.set_contact = &sc;
	sc.partner_id = (char *) "au-afp";
	sc.contact = &ct;
	ct.contact_id = (char *) "duty-desk";
	ct.name = (char *) "Duty desk";
	ct.role = (char *) "24/7 operations";
	ct.email = (char *) "duty@afp.example";
	ct.phone = (char *) "+61200000000";
	ct.has_is_24x7 = 1;
	ct.is_24x7 = 1;
	ct.n_languages = 1;
	ct.languages = langs;
	ct.time_zone = (char *) "Australia/Sydney";
	submit(d, &op, "au-afp", 1, t + 4000,
	    (const struct lsn_keypair *const[]){ k->au_sign }, 1,
	    "SetContact (self-service, au-afp)", log);

	liaison__v1__dir_op__init(&op);
	op.action_case = LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP;
	op.create_group = &cg;
	cg.name = (char *) "ops-room";
	cg.description = (char *) "Operational partners";
	submit(d, &op, "admin", 0, t + 5000, both, 1, "CreateGroup ops-room",
	    log);
	liaison__v1__dir_op__init(&op);
	op.action_case = LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER;
	op.add_member = &am;
	am.group = (char *) "ops-room";
	am.partner_id = (char *) "nl-police";
	submit(d, &op, "admin", 1, t + 6000, both, 1,
	    "AddMember ops-room nl-police", log);
	json_object_set_new(v, "log", log);

	json_object_set_new(v, "digest", digest_vector(d, st, ph));
	json_object_set_new(v, "batch_file", batch_vector(d));
	{
		void *ej = NULL;

		/* the export, whose partners and groups `dir import` reads */
		GEN_OK(lsn_dir_export_json(d, &ej));
		json_object_set_new(v, "export_json", ej);
	}
	GEN_OK(lsn_dir_head(d, head_rev, head_hash));
	GEN_OK(lsn_dir_checkpoint_make(d, k->seq, GEN_T0, &cp, &cplen));
	{
		Liaison__V1__SignedCheckpoint *sc2 =
		    liaison__v1__signed_checkpoint__unpack(NULL, cplen, cp);
		Liaison__V1__HeadCheckpoint *hc;
		json_t *cj = json_object();

		if (sc2 == NULL || (hc = liaison__v1__head_checkpoint__unpack(
		    NULL, sc2->checkpoint.len, sc2->checkpoint.data)) == NULL)
			GEN_OK(LSN_EPROTO);
		json_object_set_new(cj, "checkpoint", gen_msg(&hc->base));
		json_object_set_new(cj, "signed_checkpoint",
		    gen_msg(&sc2->base));
		json_object_set_new(v, "checkpoint", cj);
		liaison__v1__head_checkpoint__free_unpacked(hc, NULL);
		liaison__v1__signed_checkpoint__free_unpacked(sc2, NULL);
	}
	free(cp);
	lsn_dir_close(&d);
	lsn_store_close(&st);
	return (v);
}
