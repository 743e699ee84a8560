/* agent_it.c -- agent integration test helpers (see agent_it.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.pb-c.h"

#include "liaison/client.h"
#include "liaison/err.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_proc.h"

#define IT_TIMEOUT_MS	20000	/* an answer; long for a loaded machine */

void
agent_it_endpoint(const struct lsn_fixture *fx, size_t i, char *buf,
    size_t bufsz)
{
	snprintf(buf, bufsz, "ipc://%s/api.sock", fx->partners[i].dir);
}

pid_t
agent_it_start(struct lsn_fixture *fx, size_t i, const char *ep,
    const char *extra)
{
	char	 conf_extra[2048], sock[LSN_FX_PATH_MAX + 16];
	char	*bin, *argv[6];
	pid_t	 pid;

	snprintf(conf_extra, sizeof(conf_extra), "%s%s", AGENT_IT_CONF_EXTRA,
	    extra != NULL ? extra : "");
	if (lsn_fixture_write_agent_conf(fx, i, ep, conf_extra) != LSN_OK)
		return (-1);
	snprintf(sock, sizeof(sock), "%s/api.sock", fx->partners[i].dir);
	(void) remove(sock);
	if ((bin = lsn_proc_bin(LSN_BIN_AGENT)) == NULL)
		return (-1);
	argv[0] = bin;
	argv[1] = lsn_proc_mut("-d");
	argv[2] = lsn_proc_mut("-v");
	argv[3] = lsn_proc_mut("-c");
	argv[4] = fx->partners[i].agent_conf;
	argv[5] = NULL;
	pid = lsn_proc_spawn(bin, argv, fx->partners[i].agent_log);
	free(bin);
	if (pid == -1)
		return (-1);
	if (lsn_proc_wait_file(sock, 10000, pid) != 0) {
		lsn_proc_dump_log(fx->partners[i].agent_log, 4000);
		return (-1);
	}
	return (pid);
}

int
agent_it_call(const struct lsn_fixture *fx, size_t i,
    Liaison__V1__ApiRequest *req, Liaison__V1__ApiResponse **resp)
{
	struct lsn_client	*c = NULL;
	char			 ep[LSN_CLIENT_EP_MAX];
	int			 rv;

	agent_it_endpoint(fx, i, ep, sizeof(ep));
	if ((rv = lsn_client_open(ep, &c)) != LSN_OK)
		return (rv);
	rv = lsn_client_call(c, req, IT_TIMEOUT_MS, resp);
	lsn_client_close(&c);
	return (rv);
}

int
agent_it_status(const struct lsn_fixture *fx, size_t i,
    Liaison__V1__ApiResponse **resp)
{
	Liaison__V1__ApiRequest		req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__StatusRequest	s = LIAISON__V1__STATUS_REQUEST__INIT;

	req.kind_case = LIAISON__V1__API_REQUEST__KIND_STATUS;
	req.status = &s;
	return (agent_it_call(fx, i, &req, resp));
}

int
agent_it_wait_connected(const struct lsn_fixture *fx, size_t i,
    uint64_t min_rev, int timeout_ms)
{
	Liaison__V1__ApiResponse	*r = NULL;
	uint64_t			 deadline = lsn_mono_ms() + timeout_ms;
	int				 ok;

	while (lsn_mono_ms() < deadline) {
		if (agent_it_status(fx, i, &r) == LSN_OK) {
			ok = r->status != NULL && r->status->connected &&
			    r->status->dir_head != NULL &&
			    r->status->dir_head->rev >= min_rev;
			lsn_client_response_free(&r);
			if (ok)
				return (LSN_OK);
		}
		lsn_proc_sleep_ms(50);
	}
	return (LSN_ETIMEDOUT);
}

int
agent_it_send(const struct lsn_fixture *fx, size_t i, const char *to,
    const char *group, const char *text, uint8_t msgid[16])
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Note		 note = LIAISON__V1__NOTE__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	char				*tov[1], *grv[1];
	uint8_t				 body[8192];
	int				 rv;

	note.text = lsn_proc_mut(text);
	if (liaison__v1__note__get_packed_size(&note) > sizeof(body))
		return (LSN_ETOOBIG);
	sr.body.len = liaison__v1__note__pack(&note, body);
	sr.body.data = body;
	sr.has_body = 1;
	sr.has_type = 1;
	sr.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	if (to != NULL) {
		tov[0] = lsn_proc_mut(to);
		sr.n_to = 1;
		sr.to = tov;
	}
	if (group != NULL) {
		grv[0] = lsn_proc_mut(group);
		sr.n_to_groups = 1;
		sr.to_groups = grv;
	}
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	req.submit = &sr;
	if ((rv = agent_it_call(fx, i, &req, &r)) != LSN_OK)
		return (rv);
	rv = lsn_err_from_wire((int) r->code);
	if (rv == LSN_OK || rv == LSN_EINDOUBT) {
		/* E_IN_DOUBT carries the id too (outbox_status decides) */
		if (r->submit == NULL || r->submit->message_id.len != 16)
			rv = LSN_EPROTO;
		else if (msgid != NULL)
			memcpy(msgid, r->submit->message_id.data, 16);
	}
	lsn_client_response_free(&r);
	return (rv);
}

int
agent_it_send_referral(const struct lsn_fixture *fx, size_t i, size_t to,
    const uint8_t rid[16], int tlp, const char *summary)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Handling		 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__ReferralHandoff	 r =
	    LIAISON__V1__REFERRAL_HANDOFF__INIT;
	Liaison__V1__Jurisdiction	 j = LIAISON__V1__JURISDICTION__INIT;
	Liaison__V1__ApiResponse	*resp = NULL;
	uint8_t				 buf[4096], id[16];
	char				*tov[1];
	int				 rv;

	if (rid != NULL)
		memcpy(id, rid, sizeof(id));
	else
		lsn_random(id, sizeof(id));
	r.has_referral_id = 1;
	r.referral_id.data = id;
	r.referral_id.len = 16;
	r.has_priority = 1;
	r.priority = LIAISON__V1__PRIORITY__PRIORITY_P1;
	r.has_category = 1;
	r.category = LIAISON__V1__REFERRAL_CATEGORY__CATEGORY_GROOMING;
	j.country = lsn_proc_mut("NL");
	j.has_basis = 1;
	j.basis = LIAISON__V1__JURISDICTION_BASIS__BASIS_IP_GEOLOCATION;
	r.jurisdiction = &j;
	r.summary = lsn_proc_mut(summary);
	if (liaison__v1__referral_handoff__get_packed_size(&r) > sizeof(buf))
		return (LSN_ETOOBIG);
	sr.body.len = liaison__v1__referral_handoff__pack(&r, buf);
	sr.body.data = buf;
	sr.has_body = 1;
	sr.has_type = 1;
	sr.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF;
	tov[0] = lsn_proc_mut(fx->partners[to].id);
	sr.n_to = 1;
	sr.to = tov;
	h.has_tlp = 1;
	h.tlp = tlp;
	sr.handling = &h;
	sr.has_priority = 1;
	sr.priority = LIAISON__V1__PRIORITY__PRIORITY_P1;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	req.submit = &sr;
	if ((rv = agent_it_call(fx, i, &req, &resp)) != LSN_OK)
		return (rv);
	if (resp->has_code && resp->code != 0)
		rv = lsn_err_from_wire((int) resp->code);
	lsn_client_response_free(&resp);
	return (rv);
}

int
agent_it_outbox(const struct lsn_fixture *fx, size_t i,
    const uint8_t msgid[16], int *state, int *code)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__OutboxStatusRequest os =
	    LIAISON__V1__OUTBOX_STATUS_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	uint8_t				 id[16];
	int				 rv;

	memcpy(id, msgid, 16);
	os.has_message_id = 1;
	os.message_id.data = id;
	os.message_id.len = 16;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_OUTBOX_STATUS;
	req.outbox_status = &os;
	if ((rv = agent_it_call(fx, i, &req, &r)) != LSN_OK)
		return (rv);
	rv = lsn_err_from_wire((int) r->code);
	if (rv == LSN_OK && r->outbox_status != NULL) {
		*state = (int) r->outbox_status->state;
		if (code != NULL)
			*code = lsn_err_from_wire((int)
			    r->outbox_status->publish_code);
	}
	lsn_client_response_free(&r);
	return (rv);
}

int
agent_it_wait_outbox(const struct lsn_fixture *fx, size_t i,
    const uint8_t msgid[16], int timeout_ms, int *state, int *code)
{
	uint64_t	deadline = lsn_mono_ms() + timeout_ms;
	int		rv, st = 0;

	while (lsn_mono_ms() < deadline) {
		if ((rv = agent_it_outbox(fx, i, msgid, &st, code)) != LSN_OK)
			return (rv);
		if (st != LIAISON__V1__OUTBOX_STATE__OUTBOX_PENDING) {
			*state = st;
			return (LSN_OK);
		}
		lsn_proc_sleep_ms(30);
	}
	return (LSN_ETIMEDOUT);
}

int
agent_it_counts(const struct lsn_fixture *fx, size_t i, uint64_t *inbox,
    uint64_t *quarantined)
{
	Liaison__V1__ApiResponse	*r = NULL;
	int				 rv;

	if ((rv = agent_it_status(fx, i, &r)) != LSN_OK)
		return (rv);
	if (r->status == NULL)
		rv = LSN_EPROTO;
	else {
		if (inbox != NULL)
			*inbox = r->status->inbox_total;
		if (quarantined != NULL)
			*quarantined = r->status->quarantined;
	}
	lsn_client_response_free(&r);
	return (rv);
}

int
agent_it_wait_inbox(const struct lsn_fixture *fx, size_t i, uint64_t n,
    int timeout_ms)
{
	uint64_t	deadline = lsn_mono_ms() + timeout_ms, have = 0;

	while (lsn_mono_ms() < deadline) {
		if (agent_it_counts(fx, i, &have, NULL) == LSN_OK &&
		    have >= n)
			return (LSN_OK);
		lsn_proc_sleep_ms(50);
	}
	return (LSN_ETIMEDOUT);
}

int
agent_it_inbox(const struct lsn_fixture *fx, size_t i, uint64_t after_seq,
    Liaison__V1__ApiResponse **resp)
{
	Liaison__V1__ApiRequest		req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__InboxListRequest	lr =
	    LIAISON__V1__INBOX_LIST_REQUEST__INIT;

	lr.has_include_acked = 1;
	lr.include_acked = 1;
	lr.has_limit = 1;
	lr.limit = 1000;
	lr.has_after_seq = after_seq != 0;
	lr.after_seq = after_seq;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_LIST;
	req.inbox_list = &lr;
	return (agent_it_call(fx, i, &req, resp));
}

int
agent_it_cli(const struct lsn_fixture *fx, size_t i, char **out,
    const char *arg0, ...)
{
	char		*argv[32], ep[LSN_CLIENT_EP_MAX], *bin;
	const char	*a;
	va_list		 ap;
	size_t		 n = 0;
	int		 rv;

	if ((bin = lsn_proc_bin(LSN_BIN_CLI)) == NULL)
		return (-1);
	agent_it_endpoint(fx, i, ep, sizeof(ep));
	argv[n++] = bin;
	va_start(ap, arg0);
	for (a = arg0; a != NULL && n < 28; a = va_arg(ap, const char *))
		argv[n++] = lsn_proc_mut(a);
	va_end(ap);
	argv[n++] = lsn_proc_mut("--agent");
	argv[n++] = ep;
	argv[n] = NULL;
	rv = lsn_proc_run(bin, argv, out, NULL, 30000);
	free(bin);
	return (rv);
}

int
agent_it_wire_setup(void **state, size_t npartners, int agent, size_t client)
{
	struct lsn_fixture_opts	 o = { .npartners = npartners };
	struct agent_it_wire	*t = calloc(1, sizeof(*t));

	if (t == NULL || lsn_init() != LSN_OK ||
	    lsn_fixture_create(&o, &t->fx) != LSN_OK ||
	    lsn_fixture_start_broker(t->fx, getenv("LSN_TEST_VERBOSE") !=
	    NULL, &t->broker, t->ep, sizeof(t->ep)) != LSN_OK)
		return (-1);
	if (agent >= 0) {
		t->agent = agent_it_start(t->fx, (size_t) agent, t->ep, NULL);
		if (t->agent <= 0 || agent_it_wait_connected(t->fx,
		    (size_t) agent, 0, IT_TIMEOUT_MS) != LSN_OK)
			return (-1);
	}
	t->ctx = zmq_ctx_new();
	if (lsn_fixture_dealer(t->fx, t->ctx, client, NULL, t->ep, &t->sock) !=
	    LSN_OK)
		return (-1);
	*state = t;
	return (0);
}

int
agent_it_wire_teardown(void **state)
{
	struct agent_it_wire	*t = *state;

	lsn_proc_kill_all();
	if (t == NULL)
		return (0);
	if (t->sock != NULL)
		zmq_close(t->sock);
	if (t->ctx != NULL)
		zmq_ctx_term(t->ctx);
	lsn_fixture_destroy(&t->fx);
	free(t);
	return (0);
}
