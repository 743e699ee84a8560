/*
 * fuzz_seeds.c -- writes the seed corpora of the fuzz harnesses, made by
 * the code itself from the same deterministic fixture the harnesses use
 * (fuzz.h), so signatures and key ids in the seeds verify there.
 *
 * Usage: fuzz_seeds OUTDIR SRCDIR
 * Writes OUTDIR/<harness>/seed-NNN for envelope, envelope_signed, frame,
 * dirop, api and conf (conf also takes SRCDIR/tests/data/conf/ and
 * SRCDIR/config/ files).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.pb-c.h"
#include "directory.pb-c.h"
#include "envelope.pb-c.h"
#include "wire.pb-c.h"

#include "liaison/conf.h"
#include "liaison/dir.h"
#include "liaison/envelope.h"
#include "liaison/seal.h"
#include "liaison/store.h"

#include "agent.h"
#include "fuzz.h"

static const char	*outdir;
static unsigned		 nseeds;

static void
seed(const char *harness, const void *buf, size_t len)
{
	static unsigned	n;
	char		path[1024];

	snprintf(path, sizeof(path), "%s/%s", outdir, harness);
	(void) mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/seed-%03u", outdir, harness, n++);
	if (fz_write(path, buf, len) != 0)
		fz_die(path);
	nseeds++;
}

/* mode byte + bytes (fuzz_dirop). */
static void
seed_dir(int mode, const uint8_t *buf, size_t len)
{
	uint8_t	*b = malloc(len + 1);

	if (b == NULL)
		fz_die("malloc");
	b[0] = (uint8_t) mode;
	memcpy(b + 1, buf, len);
	seed("dirop", b, len + 1);
	free(b);
}

static void
seed_frame(const Liaison__V1__Frame *f)
{
	size_t	 len = liaison__v1__frame__get_packed_size(f);
	uint8_t	*buf = malloc(len + 1);

	if (buf == NULL)
		fz_die("malloc");
	(void) liaison__v1__frame__pack(f, buf);
	seed("frame", buf, len);
	free(buf);
}

static void
seed_api(Liaison__V1__ApiRequest *r, uint64_t id)
{
	size_t	 len;
	uint8_t	*buf;

	r->has_request_id = 1;
	r->request_id = id;
	len = liaison__v1__api_request__get_packed_size(r);
	if ((buf = malloc(len + 1)) == NULL)
		fz_die("malloc");
	(void) liaison__v1__api_request__pack(r, buf);
	seed("api", buf, len);
	free(buf);
}

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t	n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t) v;
	return (n);
}

/* Frame{publish{envelope = exactly env}} as the agents send it. */
static void
seed_publish(const uint8_t *env, size_t len)
{
	uint8_t	*buf = malloc(len + 32), inner[16];
	size_t	 n = 0, ni;

	if (buf == NULL)
		fz_die("malloc");
	inner[0] = 0x0a;
	ni = 1 + put_varint(inner + 1, len);
	buf[n++] = 0x1a;
	n += put_varint(buf + n, ni + len);
	memcpy(buf + n, inner, ni);
	n += ni;
	memcpy(buf + n, env, len);
	seed("frame", buf, n + len);
	free(buf);
}

/* Every envelope seed goes to the three envelope-based harnesses. */
static void
seed_envelope(const uint8_t *buf, size_t len)
{
	struct lsn_envelope_outer	*o = NULL;

	seed("envelope", buf, len);
	seed_publish(buf, len);
	if (lsn_envelope_peek(buf, len, 0, &o, NULL) != LSN_OK)
		fz_die("seed envelope does not peek");
	if (strcmp(o->signer, fz_fixture()->partners[0].id) == 0)
		seed("envelope_signed", o->env, o->envlen);
	lsn_envelope_outer_destroy(&o);
}

static void
envelopes(struct lsn_fixture *fx)
{
	struct lsn_fixture_msg	 m;
	uint8_t			*buf = NULL;
	size_t			 len = 0;

	for (int v = 0; v < 6; v++) {
		memset(&m, 0, sizeof(m));
		m.created_ms = FZ_NOW;
		switch (v) {
		case 0:
			m.to[0] = fx->partners[1].id;
			break;
		case 1:
			m.groups[0] = "all-members";
			break;
		case 2:
			m.to[0] = fx->partners[1].id;
			m.to[1] = fx->partners[2].id;
			m.groups[0] = "hotlines";
			m.expires_ms = FZ_NOW + 3600000;
			m.text = "synthetic referral note, case XX-0001";
			break;
		case 3:
			m.to[0] = fx->partners[3].id;
			m.pad = 300;
			break;
		case 4:
			/* from p02 (its own key) */
			m.to[0] = fx->partners[0].id;
			break;
		default:
			m.to[0] = fx->partners[1].id;
			m.created_ms = FZ_NOW - 86400000;	/* old: skew */
			break;
		}
		if (lsn_fixture_envelope(fx, v == 4 ? 1 : 0, &m, NULL, &buf,
		    &len) != LSN_OK)
			fz_die("envelope");
		seed_envelope(buf, len);
		free(buf);
	}
}

/* An AMBER note sealed to p02 and p03, signed by p01. */
static void
sealed_envelope(struct lsn_fixture *fx)
{
	Liaison__V1__Envelope	 env = LIAISON__V1__ENVELOPE__INIT;
	Liaison__V1__Handling	 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__Note	 note = LIAISON__V1__NOTE__INIT;
	Liaison__V1__SealedBody	*sb = NULL;
	struct lsn_seal_rcpt	 r[2];
	char			*to[2];
	uint8_t			 id[16], ad[LSN_SEAL_AD_MAX], body[256];
	uint8_t			*buf = NULL;
	size_t			 adlen = 0, blen, len = 0;

	memset(id, 0x5a, sizeof(id));
	note.text = (char *) (uintptr_t) "synthetic sealed note";
	blen = liaison__v1__note__pack(&note, body);
	h.has_tlp = 1;
	h.tlp = LIAISON__V1__TLP__TLP_AMBER;
	env.has_version = 1;
	env.version = LSN_ENVELOPE_VERSION;
	env.has_message_id = 1;
	env.message_id.data = id;
	env.message_id.len = sizeof(id);
	env.sender = fx->partners[0].id;
	to[0] = fx->partners[1].id;
	to[1] = fx->partners[2].id;
	env.n_to = 2;
	env.to = to;
	env.has_created_ms = 1;
	env.created_ms = FZ_NOW;
	env.has_type = 1;
	env.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	env.handling = &h;
	for (int i = 0; i < 2; i++) {
		r[i].partner = fx->partners[i + 1].id;
		r[i].pk = fx->partners[i + 1].encrypt->pk;
	}
	if (lsn_seal_ad_env(&env, ad, &adlen) != LSN_OK ||
	    lsn_seal(body, blen, ad, adlen, r, 2, &sb) != LSN_OK)
		fz_die("seal");
	env.sealed = sb;
	if (lsn_envelope_sign(&env, fx->partners[0].sign, &buf, &len,
	    NULL) != LSN_OK)
		fz_die("sign sealed");
	seed_envelope(buf, len);
	free(buf);
	lsn_sealed_free(&sb);
}

/* DirOp bytes of a signed op. */
static void
op_bytes(const uint8_t *sop, size_t len, uint8_t **out, size_t *outlen)
{
	Liaison__V1__SignedDirOp	*s;

	if ((s = liaison__v1__signed_dir_op__unpack(NULL, len, sop)) ==
	    NULL || !s->has_op)
		fz_die("op bytes");
	if ((*out = malloc(s->op.len + 1)) == NULL)
		fz_die("malloc");
	memcpy(*out, s->op.data, s->op.len);
	*outlen = s->op.len;
	liaison__v1__signed_dir_op__free_unpacked(s, NULL);
}

static void
dirops(struct lsn_fixture *fx, uint8_t **dsop, size_t *dsoplen)
{
	struct lsn_store	*st = NULL;
	struct lsn_dir		*d = NULL;
	Liaison__V1__DirOp	 op;
	Liaison__V1__SetUnit	 su = LIAISON__V1__SET_UNIT__INIT;
	Liaison__V1__Unit	 u = LIAISON__V1__UNIT__INIT;
	struct lsn_dirop_batch	*b = NULL;
	uint8_t			*sop[4] = { NULL }, *ob, *cp = NULL, *e = NULL;
	size_t			 len[4] = { 0 }, oblen, cplen = 0, elen = 0;
	uint64_t		 ver = 0, rev = 0;
	char			 why[LSN_DIR_WHY_MAX];

	if (lsn_fixture_partner_version(fx, fx->partners[2].id, &ver) !=
	    LSN_OK)
		fz_die("version");
	/* 0: suspend p03 (sensitive: two admins) */
	if (lsn_fixture_op_set_status(fx, fx->partners[2].id,
	    LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED, ver, 2, &sop[0],
	    &len[0]) != LSN_OK)
		fz_die("op set status");
	/* 1: create a group (routine: one admin) */
	if (lsn_fixture_op_create_group(fx, "fuzz-group", 1, &sop[1],
	    &len[1]) != LSN_OK)
		fz_die("op create group");
	/* 2: p01 sets one of its own units (self-service) */
	u.unit_id = (char *) (uintptr_t) "cyber-desk";
	u.name = (char *) (uintptr_t) "Synthetic cyber desk";
	su.partner_id = fx->partners[0].id;
	su.unit = &u;
	liaison__v1__dir_op__init(&op);
	op.author = fx->partners[0].id;
	op.has_created_ms = 1;
	op.created_ms = FZ_NOW;
	op.has_expected_version = 1;
	op.expected_version = 1;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_UNIT;
	op.set_unit = &su;
	if (lsn_dirop_new(&op, &ob, &oblen, why, sizeof(why)) != LSN_OK ||
	    lsn_dirop_sign(ob, oblen, fx->partners[0].sign, &sop[2],
	    &len[2]) != LSN_OK)
		fz_die("op self-service");
	free(ob);
	for (int i = 0; i < 3; i++) {
		uint8_t	*raw;
		size_t	 rawlen;

		seed_dir(0, sop[i], len[i]);
		op_bytes(sop[i], len[i], &raw, &rawlen);
		seed_dir(i == 2 ? 3 : 1, raw, rawlen);
		seed_dir(i == 2 ? 3 : 2, raw, rawlen);
		seed_dir(5, raw, rawlen);
		free(raw);
	}
	/* 4: the next log entry, 6: a head checkpoint, 7: a batch */
	if (lsn_store_open(fx->broker_db, lsn_dir_migrations,
	    LSN_STORE_NOSYNC, &st) != LSN_OK || lsn_dir_open(st, &d) != LSN_OK)
		fz_die("open dir");
	if (lsn_dir_checkpoint_make(d, fx->seq, FZ_NOW, &cp, &cplen) !=
	    LSN_OK)
		fz_die("checkpoint");
	seed_dir(6, cp, cplen);
	if (lsn_store_begin(st) != LSN_OK ||
	    lsn_dir_submit(d, sop[1], len[1], FZ_NOW, &rev, why,
	    sizeof(why)) != LSN_OK ||
	    lsn_dir_entry_get(d, rev, &e, &elen) != LSN_OK)
		fz_die("next entry");
	lsn_store_rollback(st);
	seed_dir(4, e, elen);
	free(e);
	e = NULL;
	if (lsn_dir_entry_get(d, 2, &e, &elen) == LSN_OK)
		seed_dir(4, e, elen);
	free(e);
	if (lsn_dirop_batch_new(&b) != LSN_OK)
		fz_die("batch");
	for (int i = 0; i < 3; i++)
		if (lsn_dirop_batch_add(b, sop[i], len[i]) != LSN_OK)
			fz_die("batch add");
	if (lsn_dirop_batch_save(b, 0, &ob, &oblen) != LSN_OK)
		fz_die("batch save");
	seed_dir(7, ob, oblen);
	free(ob);
	lsn_dirop_batch_free(&b);
	free(cp);
	lsn_dir_close(&d);
	lsn_store_close(&st);
	*dsop = sop[1];
	*dsoplen = len[1];
	for (int i = 0; i < 3; i++)
		if (i != 1)
			free(sop[i]);
}

static void
frames(const uint8_t *sop, size_t soplen)
{
	Liaison__V1__Frame		 f;
	Liaison__V1__Hello		 he = LIAISON__V1__HELLO__INIT;
	Liaison__V1__DeliverAck		 da = LIAISON__V1__DELIVER_ACK__INIT;
	Liaison__V1__DirSync		 ds = LIAISON__V1__DIR_SYNC__INIT;
	Liaison__V1__DirSubmit		 sub = LIAISON__V1__DIR_SUBMIT__INIT;
	Liaison__V1__Ping		 pi = LIAISON__V1__PING__INIT;
	Liaison__V1__Pong		 po = LIAISON__V1__PONG__INIT;
	Liaison__V1__Error		 er = LIAISON__V1__ERROR__INIT;
	Liaison__V1__Publish		 pu = LIAISON__V1__PUBLISH__INIT;
	uint8_t				 rid[16];

	he.has_protocol_version = 1;
	he.protocol_version = 1;
	he.partner = (char *) (uintptr_t) "p01";
	he.has_delivery_cursor = 1;
	he.delivery_cursor = 0;
	he.agent_version = (char *) (uintptr_t) LSN_VERSION;
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_HELLO;
	f.hello = &he;
	seed_frame(&f);
	da.has_seq = 1;
	da.seq = 1;
	da.has_code = 1;
	da.code = 0;
	f.kind_case = LIAISON__V1__FRAME__KIND_DELIVER_ACK;
	f.deliver_ack = &da;
	seed_frame(&f);
	ds.has_after_rev = 1;
	ds.after_rev = 3;
	ds.has_max_entries = 1;
	ds.max_entries = 5;
	f.kind_case = LIAISON__V1__FRAME__KIND_DIR_SYNC;
	f.dir_sync = &ds;
	seed_frame(&f);
	memset(rid, 7, sizeof(rid));
	sub.has_request_id = 1;
	sub.request_id.data = rid;
	sub.request_id.len = sizeof(rid);
	if ((sub.op = liaison__v1__signed_dir_op__unpack(NULL, soplen,
	    sop)) == NULL)
		fz_die("dir submit op");
	f.kind_case = LIAISON__V1__FRAME__KIND_DIR_SUBMIT;
	f.dir_submit = &sub;
	seed_frame(&f);
	liaison__v1__signed_dir_op__free_unpacked(sub.op, NULL);
	pi.has_nonce = 1;
	pi.nonce = 42;
	pi.has_time_ms = 1;
	pi.time_ms = FZ_NOW;
	f.kind_case = LIAISON__V1__FRAME__KIND_PING;
	f.ping = &pi;
	seed_frame(&f);
	po.has_nonce = 1;
	po.nonce = 42;
	f.kind_case = LIAISON__V1__FRAME__KIND_PONG;
	f.pong = &po;
	seed_frame(&f);
	er.has_code = 1;
	er.code = 3;
	er.detail = (char *) (uintptr_t) "synthetic error";
	f.kind_case = LIAISON__V1__FRAME__KIND_ERROR;
	f.error = &er;
	seed_frame(&f);
	/* a Publish without its envelope */
	f.kind_case = LIAISON__V1__FRAME__KIND_PUBLISH;
	f.publish = &pu;
	seed_frame(&f);
}

static void
api(struct lsn_fixture *fx, const uint8_t *sop, size_t soplen)
{
	Liaison__V1__ApiRequest			 r;
	Liaison__V1__SubmitRequest		 su =
	    LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__OutboxStatusRequest	 os =
	    LIAISON__V1__OUTBOX_STATUS_REQUEST__INIT;
	Liaison__V1__InboxListRequest		 il =
	    LIAISON__V1__INBOX_LIST_REQUEST__INIT;
	Liaison__V1__InboxFetchRequest		 ifr =
	    LIAISON__V1__INBOX_FETCH_REQUEST__INIT;
	Liaison__V1__InboxMarkRequest		 im =
	    LIAISON__V1__INBOX_MARK_REQUEST__INIT;
	Liaison__V1__DirQueryRequest		 dq =
	    LIAISON__V1__DIR_QUERY_REQUEST__INIT;
	Liaison__V1__DirSubmitRequest		 dsr =
	    LIAISON__V1__DIR_SUBMIT_REQUEST__INIT;
	Liaison__V1__StatusRequest		 st =
	    LIAISON__V1__STATUS_REQUEST__INIT;
	Liaison__V1__WorkflowListRequest	 wl =
	    LIAISON__V1__WORKFLOW_LIST_REQUEST__INIT;
	Liaison__V1__MeetingShowRequest		 ms =
	    LIAISON__V1__MEETING_SHOW_REQUEST__INIT;
	Liaison__V1__CustodyRequest		 cu =
	    LIAISON__V1__CUSTODY_REQUEST__INIT;
	Liaison__V1__ContactRequest		 co =
	    LIAISON__V1__CONTACT_REQUEST__INIT;
	Liaison__V1__Contact			 c = LIAISON__V1__CONTACT__INIT;
	Liaison__V1__EventsRequest		 ev =
	    LIAISON__V1__EVENTS_REQUEST__INIT;
	Liaison__V1__Note			 note = LIAISON__V1__NOTE__INIT;
	Liaison__V1__Handling			 h =
	    LIAISON__V1__HANDLING__INIT;
	uint8_t					 id[16], body[128];
	char					*to[1], *langs[1];
	uint64_t				 n = 1;

	memset(id, 0x11, sizeof(id));
	note.text = (char *) (uintptr_t) "synthetic note from the API";
	to[0] = fx->partners[0].id;
	su.n_to = 1;
	su.to = to;
	su.has_type = 1;
	su.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	su.has_body = 1;
	su.body.data = body;
	su.body.len = liaison__v1__note__pack(&note, body);
	h.has_tlp = 1;
	h.tlp = LIAISON__V1__TLP__TLP_GREEN;
	su.handling = &h;
	su.case_ref = (char *) (uintptr_t) "XX-0001";
	liaison__v1__api_request__init(&r);
	r.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	r.submit = &su;
	seed_api(&r, n++);
	os.has_message_id = 1;
	os.message_id.data = id;
	os.message_id.len = sizeof(id);
	r.kind_case = LIAISON__V1__API_REQUEST__KIND_OUTBOX_STATUS;
	r.outbox_status = &os;
	seed_api(&r, n++);
	il.has_include_acked = 1;
	il.include_acked = 1;
	il.sender = fx->partners[0].id;
	il.has_limit = 1;
	il.limit = 10;
	r.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_LIST;
	r.inbox_list = &il;
	seed_api(&r, n++);
	il.has_wait_ms = 1;
	il.wait_ms = 1000;
	seed_api(&r, n++);
	ifr.has_message_id = 1;
	ifr.message_id.data = id;
	ifr.message_id.len = sizeof(id);
	r.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_FETCH;
	r.inbox_fetch = &ifr;
	seed_api(&r, n++);
	im.has_message_id = 1;
	im.message_id.data = id;
	im.message_id.len = sizeof(id);
	im.has_stage = 1;
	im.stage = LIAISON__V1__MARK_STAGE__MARK_ACKED;
	r.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_MARK;
	r.inbox_mark = &im;
	seed_api(&r, n++);
	dq.partner_id = fx->partners[0].id;
	r.kind_case = LIAISON__V1__API_REQUEST__KIND_DIR_QUERY;
	r.dir_query = &dq;
	seed_api(&r, n++);
	dq.partner_id = NULL;
	dq.search = (char *) (uintptr_t) "police";
	seed_api(&r, n++);
	dq.search = NULL;
	dq.group = (char *) (uintptr_t) "hotlines";
	seed_api(&r, n++);
	dq.group = NULL;
	dq.has_list_groups = 1;
	dq.list_groups = 1;
	seed_api(&r, n++);
	if ((dsr.op = liaison__v1__signed_dir_op__unpack(NULL, soplen,
	    sop)) == NULL)
		fz_die("api dir submit op");
	r.kind_case = LIAISON__V1__API_REQUEST__KIND_DIR_SUBMIT;
	r.dir_submit = &dsr;
	seed_api(&r, n++);
	liaison__v1__signed_dir_op__free_unpacked(dsr.op, NULL);
	r.kind_case = LIAISON__V1__API_REQUEST__KIND_STATUS;
	r.status = &st;
	seed_api(&r, n++);
	wl.kind = (char *) (uintptr_t) "referral";
	wl.has_overdue_only = 1;
	wl.overdue_only = 1;
	r.kind_case = LIAISON__V1__API_REQUEST__KIND_WORKFLOW_LIST;
	r.workflow_list = &wl;
	seed_api(&r, n++);
	ms.has_meeting_id = 1;
	ms.meeting_id.data = id;
	ms.meeting_id.len = sizeof(id);
	r.kind_case = LIAISON__V1__API_REQUEST__KIND_MEETING_SHOW;
	r.meeting_show = &ms;
	seed_api(&r, n++);
	cu.has_message_id = 1;
	cu.message_id.data = id;
	cu.message_id.len = sizeof(id);
	r.kind_case = LIAISON__V1__API_REQUEST__KIND_CUSTODY;
	r.custody = &cu;
	seed_api(&r, n++);
	c.contact_id = (char *) (uintptr_t) "duty-desk";
	c.name = (char *) (uintptr_t) "Synthetic duty desk";
	c.role = (char *) (uintptr_t) "24/7 desk";
	c.email = (char *) (uintptr_t) "desk@example.org";
	c.phone = (char *) (uintptr_t) "+10000000000";
	c.has_is_24x7 = 1;
	c.is_24x7 = 1;
	langs[0] = (char *) (uintptr_t) "en";
	c.n_languages = 1;
	c.languages = langs;
	c.time_zone = (char *) (uintptr_t) "Europe/London";
	co.action = (char *) (uintptr_t) "set";
	co.contact = &c;
	r.kind_case = LIAISON__V1__API_REQUEST__KIND_CONTACT;
	r.contact = &co;
	seed_api(&r, n++);
	co.action = (char *) (uintptr_t) "confirm";
	co.contact = NULL;
	co.contact_id = (char *) (uintptr_t) "duty-desk";
	seed_api(&r, n++);
	ev.has_after_event_id = 1;
	ev.after_event_id = 0;
	ev.has_limit = 1;
	ev.limit = 5;
	r.kind_case = LIAISON__V1__API_REQUEST__KIND_EVENTS;
	r.events = &ev;
	seed_api(&r, n++);
}

static void
copy_files(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[1024];
	uint8_t		*buf;
	size_t		 len;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lsn_file_read(path, LSN_CONF_FILE_MAX, &buf, &len) !=
		    LSN_OK)
			continue;
		seed("conf", buf, len);
		free(buf);
	}
	closedir(d);
}

static void
confs(struct lsn_fixture *fx, const char *src)
{
	char	 path[1024], *text = NULL;
	size_t	 len = 0;
	uint8_t	*buf;
	FILE	*fp;
	const char *keys[] = { "sign.key", "sign.pub", "encrypt.pub",
	    "transport.key" };

	if ((fp = open_memstream(&text, &len)) == NULL ||
	    lsn_conf_write_example(agent_conf_table, fp) != LSN_OK ||
	    fclose(fp) != 0)
		fz_die("example conf");
	seed("conf", text, len);
	free(text);
	if (lsn_fixture_write_agent_conf(fx, 0, "tcp://127.0.0.1:9",
	    "api = ipc:///tmp/lsn-fuzz-api.sock\n") != LSN_OK ||
	    lsn_file_read(fx->partners[0].agent_conf, LSN_CONF_FILE_MAX, &buf,
	    &len) != LSN_OK)
		fz_die("agent conf");
	seed("conf", buf, len);
	free(buf);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fx->partners[0].dir,
		    keys[i]);
		if (lsn_file_read(path, 4096, &buf, &len) != LSN_OK)
			fz_die(path);
		seed("conf", buf, len);
		free(buf);
	}
	snprintf(path, sizeof(path), "%s/tests/data/conf", src);
	copy_files(path);
	snprintf(path, sizeof(path), "%s/config", src);
	copy_files(path);
}

int
main(int argc, char *argv[])
{
	struct lsn_fixture	*fx;
	uint8_t			*sop = NULL;
	size_t			 soplen = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: fuzz_seeds OUTDIR SRCDIR\n");
		return (2);
	}
	outdir = argv[1];
	(void) mkdir(outdir, 0700);
	fx = fz_fixture();
	envelopes(fx);
	sealed_envelope(fx);
	dirops(fx, &sop, &soplen);
	frames(sop, soplen);
	api(fx, sop, soplen);
	confs(fx, argv[2]);
	free(sop);
	printf("fuzz_seeds: %u seeds in %s\n", nseeds, outdir);
	return (0);
}
