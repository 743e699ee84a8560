/*
 * test_web_browser.c -- the agent's read-only directory page in a real
 * browser (Debian's chromium, headless). The directory holds a partner
 * whose official name carries markup (<script>, &) and a 24/7 contact
 * that is stale (set 3 h ago, never confirmed, contact_max_age_ms 1 h),
 * besides a fresh one. Agent 0 serves the page; chromium's DOM dump must
 * show the hostile name as text (no script element, no bold element made
 * from a contact name), the stale marker on the stale contact only, the
 * key fingerprints, the revision, "verifies: yes", and the security
 * headers must be on the answer. Two P1 referrals are open: the GREEN
 * one's summary is shown (summary_max_tlp = green), escaped, the AMBER
 * one's is withheld. Agent 1 is configured with another trust
 * root, so its replica halts on the genesis entry; its page must carry
 * the halted warning. A screenshot of agent 0's page is kept in the
 * build directory (tests/artefacts/web_page.png). Three chromium runs
 * (each takes seconds to start), hence one screenshot only.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.pb-c.h"
#include "directory.pb-c.h"
#include "envelope.pb-c.h"

#include "liaison/client.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "http_raw.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define HOUR_MS	(3600ULL * 1000)

static const char evil[] = "Evil <script>alert(1)</script> & Co";

struct env {
	struct lsn_fixture	*fx;
	pid_t			 broker;
	char			 ep[256];
	char			 http0[64], http1[64];
	char			 art[1024];	/* artefact dir */
};

static char	resp[512 * 1024];

/* A P1 referral from agent 0 to partners[1] with summary, marked tlp. */
static void
send_referral(struct env *e, int tlp, const char *summary)
{
	assert_ok(agent_it_send_referral(e->fx, 0, 1, NULL, tlp, summary));
}

static int
apply(struct lsn_fixture *fx, Liaison__V1__DirOp *op)
{
	uint8_t	*buf = NULL;
	size_t	 len;
	int	 rv;

	if ((rv = lsn_fixture_op_sign(fx, op, 1, &buf, &len)) == LSN_OK)
		rv = lsn_fixture_apply(fx, buf, len);
	free(buf);
	return (rv);
}

/* The hostile name on partners[0], a stale 24/7 contact on it and a
 * fresh one on partners[1], applied to the broker DB before it starts. */
static void
make_directory(struct lsn_fixture *fx)
{
	Liaison__V1__DirOp		op;
	Liaison__V1__UpdatePartner	up;
	Liaison__V1__PartnerNames	nm;
	Liaison__V1__SetContact		sc;
	Liaison__V1__Contact		c;
	uint64_t			ver, now = lsn_now_ms();

	for (int i = 0; i < 2; i++) {
		const char *id = fx->partners[i].id;

		assert_ok(lsn_fixture_partner_version(fx, id, &ver));
		liaison__v1__dir_op__init(&op);
		liaison__v1__set_contact__init(&sc);
		liaison__v1__contact__init(&c);
		c.contact_id = (char *) (uintptr_t) (i == 0 ? "desk" : "duty");
		c.name = (char *) (uintptr_t) (i == 0 ?
		    "Night desk <b>bold</b>" : "Duty officer");
		c.phone = (char *) (uintptr_t) "+4400000000";
		c.email = (char *) (uintptr_t) "desk@example.org";
		c.has_is_24x7 = 1;
		c.is_24x7 = 1;
		sc.partner_id = (char *) (uintptr_t) id;
		sc.contact = &c;
		op.has_created_ms = 1;
		op.created_ms = i == 0 ? now - 3 * HOUR_MS : now;
		op.has_expected_version = 1;
		op.expected_version = ver;
		op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_CONTACT;
		op.set_contact = &sc;
		assert_ok(apply(fx, &op));
	}
	assert_ok(lsn_fixture_partner_version(fx, fx->partners[0].id, &ver));
	liaison__v1__dir_op__init(&op);
	liaison__v1__update_partner__init(&up);
	liaison__v1__partner_names__init(&nm);
	nm.official = (char *) (uintptr_t) evil;
	up.partner_id = fx->partners[0].id;
	up.names = &nm;
	op.has_expected_version = 1;
	op.expected_version = ver;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_UPDATE_PARTNER;
	op.update_partner = &up;
	assert_ok(apply(fx, &op));
}

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;
	char			 path[LSN_FX_PATH_MAX + 16], good[80];
	const char		*bin = getenv("LSN_BIN_DIR");

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	make_directory(e->fx);
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, NULL));
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
	assert_true(agent_it_start(e->fx, 0, e->ep, "http_listen = "
	    "127.0.0.1:0\ncontact_max_age_ms = 3600000\n"
	    "summary_max_tlp = green\n") > 0);
	/* agent 1 trusts another root: its replica halts on genesis */
	lsn_strlcpy(good, e->fx->trust_root_hex, sizeof(good));
	memset(e->fx->trust_root_hex, 'a', 64);
	assert_true(agent_it_start(e->fx, 1, e->ep, "http_listen = "
	    "127.0.0.1:0\n") > 0);
	lsn_strlcpy(e->fx->trust_root_hex, good,
	    sizeof(e->fx->trust_root_hex));
	assert_ok(agent_it_wait_connected(e->fx, 0, 4, 20000));
	snprintf(path, sizeof(path), "%s.http", e->fx->partners[0].agent_db);
	assert_int_equal(http_addr_wait(path, e->http0, sizeof(e->http0),
	    10000), 0);
	snprintf(path, sizeof(path), "%s.http", e->fx->partners[1].agent_db);
	assert_int_equal(http_addr_wait(path, e->http1, sizeof(e->http1),
	    10000), 0);
	send_referral(e, LIAISON__V1__TLP__TLP_GREEN,
	    "Visible <i>summary</i> of a synthetic referral");
	send_referral(e, LIAISON__V1__TLP__TLP_AMBER,
	    "AMBER-SUMMARY-MUST-NOT-SHOW");
	snprintf(e->art, sizeof(e->art), "%s/tests/artefacts",
	    bin != NULL ? bin : ".");
	(void) mkdir(e->art, 0755);
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	lsn_proc_kill_all();
	if (e != NULL) {
		lsn_fixture_destroy(&e->fx);
		free(e);
	}
	return (0);
}

/* Runs headless chromium on url with one action flag; stdout in *out. */
static int
chromium(struct env *e, const char *action, const char *url, char **out)
{
	char	 udd[LSN_FX_PATH_MAX + 64], uddarg[LSN_FX_PATH_MAX + 80];
	char	 log[LSN_FX_PATH_MAX + 32];
	char	*argv[] = { (char *) (uintptr_t) "/usr/bin/chromium",
	    (char *) (uintptr_t) "--headless", (char *) (uintptr_t)
	    "--no-sandbox", (char *) (uintptr_t) "--disable-gpu",
	    (char *) (uintptr_t) "--disable-quic", (char *) (uintptr_t)
	    "--no-first-run", (char *) (uintptr_t)
	    "--disable-background-networking", (char *) (uintptr_t)
	    "--disable-component-update", (char *) (uintptr_t)
	    "--disable-sync", (char *) (uintptr_t) "--disable-dev-shm-usage",
	    (char *) (uintptr_t) "--window-size=1280,1600", uddarg,
	    (char *) (uintptr_t) action, (char *) (uintptr_t) url, NULL };
	static int	n;

	/* a fresh profile per run */
	snprintf(udd, sizeof(udd), "%s/chrome%d", e->fx->dir, n++);
	snprintf(uddarg, sizeof(uddarg), "--user-data-dir=%s", udd);
	snprintf(log, sizeof(log), "%s/chromium.log", e->fx->dir);
	return (lsn_proc_run(argv[0], argv, out, log, 90000));
}

static void
test_page_in_browser(void **state)
{
	struct env	*e = *state;
	char		 url[128], shot[1200];
	char		*dom = NULL, *p;
	struct stat	 sb;

	if (access("/usr/bin/chromium", X_OK) != 0) {
		fprintf(stderr, "SKIPPED: /usr/bin/chromium is not installed "
		    "(scripts/install-deps installs it)\n");
		skip();
	}
	/* the answer's headers, by hand */
	assert_int_equal(http_get(e->http0, "/", resp, sizeof(resp)), 200);
	assert_non_null(strstr(resp, "Content-Type: text/html; "
	    "charset=utf-8"));
	assert_non_null(strstr(resp, "Content-Security-Policy: default-src "
	    "'none'; style-src 'self'"));
	assert_non_null(strstr(resp, "frame-ancestors 'none'"));
	assert_non_null(strstr(resp, "X-Frame-Options: DENY"));
	assert_non_null(strstr(resp, "X-Content-Type-Options: nosniff"));
	assert_non_null(strstr(resp, "Referrer-Policy: no-referrer"));
	assert_null(strstr(resp, "<script"));
	assert_int_equal(http_get(e->http0, "/style.css", resp,
	    sizeof(resp)), 200);

	snprintf(url, sizeof(url), "http://%s/", e->http0);
	assert_int_equal(chromium(e, "--dump-dom", url, &dom), 0);
	assert_non_null(dom);
	fprintf(stderr, "DOM of %s: %zu bytes\n", url, strlen(dom));
	/* the hostile name rendered as text, nothing executable */
	assert_non_null(strstr(dom, "Evil &lt;script&gt;alert(1)&lt;/script"
	    "&gt; &amp; Co"));
	assert_null(strstr(dom, "<script"));
	assert_null(strstr(dom, "<b>bold"));
	assert_non_null(strstr(dom, "Night desk &lt;b&gt;bold&lt;/b&gt;"));
	/* the stale contact is marked, the fresh one is not */
	assert_non_null(p = strstr(dom, "Night desk"));
	assert_non_null(strstr(p, "STALE: confirm this contact"));
	assert_non_null(p = strstr(dom, "Duty officer"));
	p = strstr(p, "</tr>");
	assert_non_null(p);
	assert_non_null(strstr(strstr(dom, "Duty officer"), "current"));
	assert_true(strstr(strstr(dom, "Duty officer"), "current") < p);
	/* replica state, key fingerprints, no halt warning */
	assert_non_null(strstr(dom, "id=\"verifies\"><span class=\"ok\">yes"));
	assert_null(strstr(dom, "id=\"halted\""));
	assert_non_null(strstr(dom, e->fx->partners[1].sign->key_id));
	/* tracked referrals: the GREEN summary (summary_max_tlp = green)
	 * as text, the AMBER one withheld */
	assert_non_null(strstr(dom, "Visible &lt;i&gt;summary&lt;/i&gt; of a "
	    "synthetic referral"));
	assert_null(strstr(dom, "<i>"));
	assert_null(strstr(dom, "AMBER-SUMMARY"));
	assert_non_null(strstr(dom, "withheld (marking)"));
	free(dom);
	dom = NULL;
	snprintf(shot, sizeof(shot), "--screenshot=%s/web_page.png", e->art);
	assert_int_equal(chromium(e, shot, url, NULL), 0);
	assert_int_equal(stat(shot + 13, &sb), 0);
	assert_true(sb.st_size > 1000);

	/* the halted replica's page: wait for the halt, then the warning */
	snprintf(url, sizeof(url), "http://%s/", e->http1);
	for (int i = 0; i < 200; i++) {
		if (http_get(e->http1, "/", resp, sizeof(resp)) == 200 &&
		    strstr(resp, "id=\"halted\"") != NULL)
			break;
		lsn_proc_sleep_ms(100);
	}
	assert_int_equal(chromium(e, "--dump-dom", url, &dom), 0);
	assert_non_null(dom);
	assert_non_null(strstr(dom, "id=\"halted\""));
	assert_non_null(strstr(dom, "Directory replica HALTED"));
	assert_non_null(strstr(dom, "no (halted)"));
	free(dom);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_in_browser),
	};

	return (cmocka_run_group_tests_name("web_browser", tests, setup,
	    teardown));
}
