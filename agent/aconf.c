/* aconf.c -- liaison-agent configuration: the [agent] option table. */
#include <stdio.h>
#include <string.h>

#include "liaison/conf.h"
#include "liaison/http.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "agent.h"

#define AC(m)	LSN_CONF_AT(struct agent_conf, m)

const struct lsn_conf_opt agent_conf_table[] = {
	{ "agent", "partner", LSN_CONF_STR, 2, 0, NULL, 1, AC(partner),
	    "this agency's partner id (slug)" },
	{ "agent", "broker", LSN_CONF_STR, 1, 0, NULL, 1, AC(broker),
	    "broker endpoint(s), e.g. tcp://broker.example:7400; several "
	    "(brokers sharing one store) separated by commas or spaces, "
	    "tried in turn when one fails" },
	{ "agent", "broker_key", LSN_CONF_PATH, 0, 0, NULL, 1, AC(broker_key),
	    "broker transport public key file (transport.pub)" },
	{ "agent", "db", LSN_CONF_PATH, 0, 0, NULL, 1, AC(db),
	    "sqlite database file of this agent" },
	{ "agent", "keys_dir", LSN_CONF_PATH, 0, 0, NULL, 1, AC(keys_dir),
	    "directory with sign.key, encrypt.key, transport.key" },
	{ "agent", "api", LSN_CONF_ENDPOINT, 0, 0, NULL, 0, AC(api),
	    "local API endpoint (default ipc://<dir of db>/api.sock)" },
	{ "agent", "trust_root", LSN_CONF_STR, 64, 0, NULL, 1,
	    AC(trust_root), "hex hash of the trusted genesis root policy" },
	{ "agent", "ping_ms", LSN_CONF_INT, 100, 3600000, "5000", 0,
	    AC(ping_ms), "application ping interval (ms)" },
	{ "agent", "dead_after_ms", LSN_CONF_INT, 300, 86400000, "15000", 0,
	    AC(dead_after_ms), "reconnect when the broker has not answered for this (ms)" },
	{ "agent", "reconnect_min_ms", LSN_CONF_INT, 10, 3600000, "100", 0,
	    AC(reconnect_min_ms), "first reconnect delay (ms)" },
	{ "agent", "reconnect_max_ms", LSN_CONF_INT, 10, 3600000, "10000", 0,
	    AC(reconnect_max_ms), "largest reconnect delay (ms)" },
	{ "agent", "resend_ms", LSN_CONF_INT, 100, 86400000, "5000", 0,
	    AC(resend_ms), "resend unacknowledged messages after (ms)" },
	{ "agent", "verbose", LSN_CONF_INT, 0, 2, "0", 0, AC(verbose),
	    "log verbosity (0 info, 1 debug)" },
	{ "agent", "test_clock_file", LSN_CONF_PATH, 0, 0, NULL, 0,
	    AC(test_clock_file), "TESTING AID ONLY: the workflow clock "
	    "(deadlines, escalation) reads the current ms from this file" },
	{ "agent", "republish_window_ms", LSN_CONF_INT, 0, 31536000000LL,
	    "900000", 0, AC(republish_window_ms), "when the broker may "
	    "have lost data (restarted, restored from a backup, started "
	    "empty), send again what it acknowledged this recently (ms; 0 "
	    "never)" },
	{ "agent", "ack_p1_ms", LSN_CONF_INT, 1000, 31536000000LL,
	    "3600000", 0, AC(ack_p1_ms),
	    "acknowledgement deadline of P1 referrals and alerts (ms)" },
	{ "agent", "ack_p2_ms", LSN_CONF_INT, 1000, 31536000000LL,
	    "86400000", 0, AC(ack_p2_ms), "same for P2 (ms)" },
	{ "agent", "ack_p3_ms", LSN_CONF_INT, 1000, 31536000000LL,
	    "604800000", 0, AC(ack_p3_ms), "same for P3 (ms)" },
	{ "agent", "ack_p4_ms", LSN_CONF_INT, 1000, 31536000000LL,
	    "2592000000", 0, AC(ack_p4_ms), "same for P4 (ms)" },
	{ "agent", "contact_check_ms", LSN_CONF_INT, 0, 31536000000LL, "0",
	    0, AC(contact_check_ms), "check other partners' stale "
	    "contacts this often (ms; 0 off, else >= 60000)" },
	{ "agent", "contact_max_age_ms", LSN_CONF_INT, 3600000,
	    31536000000LL, "15552000000", 0, AC(contact_max_age_ms),
	    "a contact neither confirmed nor updated for this long is stale "
	    "(ms)" },
	{ "agent", "contact_auto_confirm", LSN_CONF_INT, 0, 1, "0", 0,
	    AC(contact_auto_confirm), "1: answer checks of our contacts "
	    "automatically (hourly at most)" },
	{ "agent", "http_listen", LSN_CONF_STR, 0, 0, NULL, 0,
	    AC(http_listen), "read-only HTTP: /metrics and the directory "
	    "page on 127.0.0.1:PORT or [::1]:PORT (off when empty)" },
	{ "agent", "http_group", LSN_CONF_STR, 0, 0, NULL, 0, AC(http_group),
	    "besides root and the agent's user, members of this group may "
	    "use http_listen (empty: nobody else)" },
	{ "agent", "http_page", LSN_CONF_BOOL, 0, 0, "yes", 0, AC(http_page),
	    "serve the directory page (/) besides /metrics" },
	{ "agent", "envelope_batch", LSN_CONF_BOOL, 0, 0, "yes", 0,
	    AC(envelope_batch), "one signature for a turn's messages to the "
	    "same recipients, 64 messages per receipt (no: one each, 14 per "
	    "receipt, for a broker or members older than the batch form)" },
	{ "agent", "metrics_top", LSN_CONF_INT, 1, 1000, "20", 0,
	    AC(metrics_top), "partners shown per per-partner metric" },
	{ "agent", "log_format", LSN_CONF_STR, 2, 0, "text", 0,
	    AC(log_format), "log lines as text, kv (key=value) or json" },
	{ "agent", "notify_cmd", LSN_CONF_PATH, 0, 0, NULL, 0,
	    AC(notify_cmd), "program run at each escalation with a JSON "
	    "description on stdin (absolute path; off when empty)" },
	{ "agent", "notify_timeout_ms", LSN_CONF_INT, 100, 600000, "10000",
	    0, AC(notify_timeout_ms), "kill a notifier still running "
	    "after this (ms)" },
	{ "agent", "notify_retries", LSN_CONF_INT, 0, 20, "3", 0,
	    AC(notify_retries), "runs after a failed one" },
	{ "agent", "notify_retry_ms", LSN_CONF_INT, 100, 3600000, "30000", 0,
	    AC(notify_retry_ms), "wait before running a failed notifier "
	    "again (ms, doubled per retry)" },
	{ "agent", "summary_max_tlp", LSN_CONF_STR, 4, 0, "none", 0,
	    AC(summary_max_tlp), "show referral/alert summaries marked up "
	    "to this TLP on the page and to notifiers: none, clear, green" },
	{ "agent", "api_allow_user", LSN_CONF_STR, 0, 0, NULL, 0,
	    AC(api_allow_user), "user (name or uid) allowed on an ipc:// "
	    "api besides the agent's own (default: the agent's own)" },
	{ "agent", "api_allow_group", LSN_CONF_STR, 0, 0, NULL, 0,
	    AC(api_allow_group), "group (name or gid) allowed on an ipc:// "
	    "api; owns the 0660 socket (default: the agent's own)" },
	{ "agent", "api_key", LSN_CONF_PATH, 0, 0, NULL, 0, AC(api_key),
	    "CURVE secret key file of a tcp:// api (required with tcp://)" },
	{ "agent", "api_allow_keys", LSN_CONF_PATH, 0, 0, NULL, 0,
	    AC(api_allow_keys), "file of client public keys (64 hex each "
	    "line) allowed on a tcp:// api (required with tcp://)" },
	LSN_CONF_END
};

/*
 * Splits [agent] broker into c->brokers: endpoints separated by commas
 * and/or white space (so "a,b", "a, b" and "a b" are the same list),
 * each tcp://host:port or ipc://path, at most AGENT_BROKERS_MAX, no
 * duplicates. The order is the order of preference.
 */
static int
aconf_brokers(struct agent_conf *c, char *err, size_t errlen)
{
	const char	*p = c->broker, *sep = ", \t\r\n";
	size_t		 n;

	c->nbrokers = 0;
	memset(c->brokers, 0, sizeof(c->brokers));
	for (;;) {
		p += strspn(p, sep);
		if (*p == '\0')
			break;
		n = strcspn(p, sep);
		if (c->nbrokers == AGENT_BROKERS_MAX) {
			snprintf(err, errlen, "[agent] broker lists more "
			    "than %d endpoints", AGENT_BROKERS_MAX);
			return (LSN_ECONFIG);
		}
		if (n >= AGENT_EP_MAX) {
			snprintf(err, errlen, "[agent] broker: endpoint %zu "
			    "is too long", c->nbrokers + 1);
			return (LSN_ECONFIG);
		}
		memcpy(c->brokers[c->nbrokers], p, n);
		if (!lsn_conf_endpoint_valid(c->brokers[c->nbrokers])) {
			snprintf(err, errlen, "[agent] broker: endpoint %zu "
			    "is not tcp://host:port or ipc://path",
			    c->nbrokers + 1);
			return (LSN_ECONFIG);
		}
		for (size_t i = 0; i < c->nbrokers; i++)
			if (strcmp(c->brokers[i], c->brokers[c->nbrokers]) ==
			    0) {
				snprintf(err, errlen, "[agent] broker lists "
				    "endpoint %zu twice", i + 1);
				return (LSN_ECONFIG);
			}
		c->nbrokers++;
		p += n;
	}
	if (c->nbrokers == 0) {
		snprintf(err, errlen, "[agent] broker names no endpoint");
		return (LSN_ECONFIG);
	}
	return (LSN_OK);
}

static int
aconf_check(struct agent_conf *c, char *err, size_t errlen)
{
	uint8_t	h[LSN_DIR_HASH_BYTES];
	int	rv;

	if ((rv = aconf_brokers(c, err, errlen)) != LSN_OK)
		return (rv);
	if (!lsn_slug_valid(c->partner)) {
		snprintf(err, errlen, "[agent] partner is not a valid id");
		return (LSN_ECONFIG);
	}
	if (strlen(c->trust_root) != 2 * LSN_DIR_HASH_BYTES ||
	    lsn_hex_decode(c->trust_root, h, sizeof(h)) != LSN_OK) {
		snprintf(err, errlen,
		    "[agent] trust_root must be 64 hex characters");
		return (LSN_ECONFIG);
	}
	if (c->reconnect_min_ms > c->reconnect_max_ms) {
		snprintf(err, errlen, "[agent] reconnect_min_ms is larger "
		    "than reconnect_max_ms");
		return (LSN_ECONFIG);
	}
	if (c->dead_after_ms <= c->ping_ms) {
		snprintf(err, errlen,
		    "[agent] dead_after_ms must be larger than ping_ms");
		return (LSN_ECONFIG);
	}
	if (c->contact_check_ms != 0 && c->contact_check_ms < 60000) {
		snprintf(err, errlen, "[agent] contact_check_ms is 0 (off) "
		    "or at least 60000");
		return (LSN_ECONFIG);
	}
	if (c->http_listen[0] != '\0' &&
	    lsn_http_listen_valid(c->http_listen, 1) != LSN_OK) {
		snprintf(err, errlen, "[agent] http_listen must be "
		    "127.0.0.1:PORT or [::1]:PORT");
		return (LSN_ECONFIG);
	}
	if (lsn_log_format_parse(c->log_format) < 0) {
		snprintf(err, errlen, "[agent] log_format must be text, kv "
		    "or json");
		return (LSN_ECONFIG);
	}
	if (summary_max_tlp(c->summary_max_tlp) < 0) {
		snprintf(err, errlen, "[agent] summary_max_tlp must be none, "
		    "clear or green");
		return (LSN_ECONFIG);
	}
	if (c->notify_cmd[0] != '\0' && c->notify_cmd[0] != '/') {
		snprintf(err, errlen, "[agent] notify_cmd must be an "
		    "absolute path");
		return (LSN_ECONFIG);
	}
	if (strncmp(c->api, "tcp://", 6) == 0 &&
	    strncmp(c->api, "tcp://127.0.0.1:", 16) != 0 &&
	    strncmp(c->api, "tcp://[::1]:", 12) != 0) {
		snprintf(err, errlen, "[agent] api must be ipc:// or on "
		    "127.0.0.1 / [::1]");
		return (LSN_ECONFIG);
	}
	return (apiauth_check_conf(c, err, errlen));
}

/*
 * Loads and checks the agent configuration at path into *c (written only
 * on success). err receives a one-line message on failure.
 */
int
aconf_load(const char *path, struct agent_conf *c, char *err, size_t errlen)
{
	struct agent_conf	tmp;
	int			rv;

	if ((rv = lsn_conf_load_file(path, agent_conf_table, &tmp, err,
	    errlen)) != LSN_OK)
		return (rv);
	if ((rv = aconf_check(&tmp, err, errlen)) != LSN_OK)
		return (rv);
	*c = tmp;
	return (LSN_OK);
}

/*
 * The API endpoint: [agent] api, or ipc://<dir of db>/api.sock. The db
 * path is made absolute relative to the current directory.
 */
int
aconf_api_endpoint(const struct agent_conf *c, char *out, size_t outsz)
{
	char		 dir[AGENT_PATH_MAX];
	const char	*slash;
	int		 n;

	if (c->api[0] != '\0') {
		if (lsn_strlcpy(out, c->api, outsz) >= outsz)
			return (LSN_ETOOBIG);
		return (LSN_OK);
	}
	if ((slash = strrchr(c->db, '/')) == NULL)
		lsn_strlcpy(dir, ".", sizeof(dir));
	else if (slash == c->db)
		lsn_strlcpy(dir, "/", sizeof(dir));
	else {
		if ((size_t) (slash - c->db) >= sizeof(dir))
			return (LSN_ETOOBIG);
		memcpy(dir, c->db, slash - c->db);
		dir[slash - c->db] = '\0';
	}
	n = snprintf(out, outsz, "ipc://%s/api.sock", dir);
	if (n < 0 || (size_t) n >= outsz || (size_t) n - 6 > LSN_CONF_IPC_MAX)
		return (LSN_ETOOBIG);
	return (LSN_OK);
}
