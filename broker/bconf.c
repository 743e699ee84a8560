/* bconf.c -- liaison-broker configuration: the typed option table. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "liaison/conf.h"
#include "liaison/http.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "broker.h"

static const struct lsn_conf_opt btable[] = {
	{ "broker", "listen", LSN_CONF_STR, 6, 0, "tcp://127.0.0.1:7730", 0,
	    LSN_CONF_AT(struct bconf, listen),
	    "endpoint the ROUTER binds (tcp://host:port, tcp://host:*, "
	    "ipc://path)" },
	{ "broker", "endpoint_file", LSN_CONF_STR, 0, 0, NULL, 0,
	    LSN_CONF_AT(struct bconf, endpoint_file),
	    "file receiving the actual endpoint after bind (optional)" },
	{ "broker", "control", LSN_CONF_STR, 0, 0, NULL, 0,
	    LSN_CONF_AT(struct bconf, control),
	    "local status socket, ipc://path (optional; JSON replies)" },
	{ "broker", "db", LSN_CONF_PATH, 0, 0, "broker.db", 1,
	    LSN_CONF_AT(struct bconf, db),
	    "sqlite database file (relative: to the working directory), or a "
	    "postgresql:// URI (no password in it; audit_head required)" },
	{ "broker", "sign_key", LSN_CONF_PATH, 0, 0, "keys/sign.key", 1,
	    LSN_CONF_AT(struct bconf, sign_key),
	    "sequencer Ed25519 secret key file (checkpoints)" },
	{ "broker", "transport_key", LSN_CONF_PATH, 0, 0, "keys/transport.key",
	    1,
	    LSN_CONF_AT(struct bconf, transport_key),
	    "CURVE secret key file of the ROUTER" },
	{ "broker", "max_msg_bytes", LSN_CONF_INT, 1024, LSN_MSG_MAX, "262144",
	    0, LSN_CONF_AT(struct bconf, max_msg_bytes),
	    "largest SignedEnvelope accepted" },
	{ "broker", "skew_ms", LSN_CONF_DURATION, 1000, 24LL * 3600 * 1000,
	    "5m", 0, LSN_CONF_AT(struct bconf, skew_ms),
	    "allowed difference between created_ms and the broker's clock" },
	{ "broker", "queue_quota", LSN_CONF_INT, 1, 100000000, "100000", 0,
	    LSN_CONF_AT(struct bconf, queue_quota),
	    "undelivered messages per recipient" },
	{ "broker", "inflight_max", LSN_CONF_INT, 1, 65536, "1024", 0,
	    LSN_CONF_AT(struct bconf, inflight_max),
	    "unacknowledged deliveries per session" },
	{ "broker", "dir_batch_max", LSN_CONF_INT, 1, 4096, "256", 0,
	    LSN_CONF_AT(struct bconf, dir_batch_max),
	    "log entries per DirOps frame" },
	{ "broker", "heartbeat_ms", LSN_CONF_DURATION, 100, 3600 * 1000,
	    "10s", 0, LSN_CONF_AT(struct bconf, heartbeat_ms),
	    "ZMTP heartbeat interval (timeout 3x)" },
	{ "broker", "expiry_check_ms", LSN_CONF_DURATION, 10, 3600 * 1000,
	    "30s", 0, LSN_CONF_AT(struct bconf, expiry_check_ms),
	    "how often expired queued messages are removed" },
	{ "broker", "retain_ms", LSN_CONF_DURATION, 1000,
	    3650LL * 24 * 3600 * 1000, "7d", 0,
	    LSN_CONF_AT(struct bconf, retain_ms),
	    "keep a delivered message's bytes this long (id and hash stay)" },
	{ "broker", "hwm", LSN_CONF_INT, 100, 10000000, "10000", 0,
	    LSN_CONF_AT(struct bconf, hwm),
	    "send/receive high-water marks of the ROUTER" },
	{ "broker", "verify_threads", LSN_CONF_INT, 0, VPOOL_THREADS_MAX, "2",
	    0, LSN_CONF_AT(struct bconf, verify_threads),
	    "threads checking envelope signatures (0: the loop itself)" },
	{ "broker", "sender_msgs_per_s", LSN_CONF_INT, 0, 1000000, "500", 0,
	    LSN_CONF_AT(struct bconf, sender_msgs_per_s),
	    "messages per second one member may publish (0: no limit)" },
	{ "broker", "sender_burst_msgs", LSN_CONF_INT, 1, 10000000, "5000", 0,
	    LSN_CONF_AT(struct bconf, sender_burst_msgs),
	    "messages one member may publish at once above the rate" },
	{ "broker", "sender_bytes_per_s", LSN_CONF_INT, 0, 1LL << 40,
	    "16777216", 0, LSN_CONF_AT(struct bconf, sender_bytes_per_s),
	    "frame bytes per second one member may send (0: no limit)" },
	{ "broker", "sender_burst_bytes", LSN_CONF_INT, 1024, 1LL << 40,
	    "67108864", 0, LSN_CONF_AT(struct bconf, sender_burst_bytes),
	    "frame bytes one member may send at once above the rate "
	    "(at least max_msg_bytes + 4096)" },
	{ "broker", "urgent_reserve", LSN_CONF_INT, 0, 100000000, "1000", 0,
	    LSN_CONF_AT(struct bconf, urgent_reserve),
	    "places of each recipient's queue_quota kept for P1 messages "
	    "(at most a tenth of queue_quota)" },
	{ "broker", "refusal_audit_ms", LSN_CONF_DURATION, 1000,
	    24LL * 3600 * 1000, "1m", 0,
	    LSN_CONF_AT(struct bconf, refusal_audit_ms),
	    "one aggregated audit row per refused peer per interval" },
	{ "broker", "verbose", LSN_CONF_BOOL, 0, 0, "no", 0,
	    LSN_CONF_AT(struct bconf, verbose), "log debug lines" },
	{ "broker", "metrics_listen", LSN_CONF_STR, 0, 0, NULL, 0,
	    LSN_CONF_AT(struct bconf, metrics_listen),
	    "HTTP /metrics (OpenMetrics) on ADDR:PORT, e.g. 127.0.0.1:9731 "
	    "(off when empty)" },
	{ "broker", "metrics_top", LSN_CONF_INT, 1, 1000, "20", 0,
	    LSN_CONF_AT(struct bconf, metrics_top),
	    "recipients with the deepest queues shown in /metrics" },
	{ "broker", "log_format", LSN_CONF_STR, 2, 0, "text", 0,
	    LSN_CONF_AT(struct bconf, log_format),
	    "log lines as text, kv (key=value) or json" },
	{ "broker", "audit_head", LSN_CONF_PATH, 0, 0, NULL, 0,
	    LSN_CONF_AT(struct bconf, audit_head),
	    "signed audit head file (default: <db>.audit-head); keep it "
	    "where the database's writers cannot reach" },
	LSN_CONF_END
};

int
bconf_listen_valid(const char *ep)
{
	char		 tmp[256];
	size_t		 n;

	if (ep == NULL)
		return (0);
	if (lsn_conf_endpoint_valid(ep))
		return (1);
	/* tcp://host:* asks for a random port (tests, endpoint_file). */
	n = strlen(ep);
	if (strncmp(ep, "tcp://", 6) != 0 || n < 9 || n >= sizeof(tmp) ||
	    strcmp(ep + n - 2, ":*") != 0)
		return (0);
	memcpy(tmp, ep, n - 1);
	memcpy(tmp + n - 1, "1", 2);
	return (lsn_conf_endpoint_valid(tmp));
}

int
bconf_load(const char *path, struct bconf *c, char *err, size_t errlen)
{
	struct bconf	tmp;
	char		why[128];
	int		rv;

	memset(&tmp, 0, sizeof(tmp));
	if ((rv = lsn_conf_load_file(path, btable, &tmp, err, errlen)) !=
	    LSN_OK)
		return (rv);
	if (!bconf_listen_valid(tmp.listen)) {
		snprintf(err, errlen, "%s: 'listen' is not a valid endpoint "
		    "(tcp://host:port, tcp://host:* or ipc://path)", path);
		return (LSN_ECONFIG);
	}
	if (tmp.control[0] != '\0' && (strncmp(tmp.control, "ipc://", 6) != 0 ||
	    !lsn_conf_endpoint_valid(tmp.control))) {
		snprintf(err, errlen, "%s: 'control' must be an ipc:// "
		    "endpoint", path);
		return (LSN_ECONFIG);
	}
	if (tmp.sender_bytes_per_s > 0 &&
	    tmp.sender_burst_bytes < tmp.max_msg_bytes + 4096) {
		snprintf(err, errlen, "%s: 'sender_burst_bytes' must be at "
		    "least max_msg_bytes + 4096 (%lld)", path,
		    tmp.max_msg_bytes + 4096);
		return (LSN_ECONFIG);
	}
	if (tmp.metrics_listen[0] != '\0' &&
	    lsn_http_listen_valid(tmp.metrics_listen, 0) != LSN_OK) {
		snprintf(err, errlen, "%s: 'metrics_listen' must be "
		    "ADDR:PORT (IPv4 or [IPv6] address)", path);
		return (LSN_ECONFIG);
	}
	if ((rv = lsn_store_uri_check(tmp.db, why, sizeof(why))) != LSN_OK) {
		snprintf(err, errlen, "%s: 'db' %s", path, why);
		return (rv);
	}
	/* the default <db>.audit-head is a file beside a database file */
	if (lsn_store_is_uri(tmp.db) && tmp.audit_head[0] == '\0') {
		snprintf(err, errlen, "%s: 'audit_head' is required when 'db' "
		    "is a PostgreSQL URI", path);
		return (LSN_ECONFIG);
	}
	if (lsn_log_format_parse(tmp.log_format) < 0) {
		snprintf(err, errlen, "%s: 'log_format' must be text, kv or "
		    "json", path);
		return (LSN_ECONFIG);
	}
	*c = tmp;
	return (LSN_OK);
}

int
bconf_dump(const struct bconf *c)
{
	return (lsn_conf_dump(btable, c, stdout));
}

int
bconf_write_example(FILE *fp)
{
	return (lsn_conf_write_example(btable, fp));
}

/* broker.h: SIGHUP. */
void
bconf_reload(struct broker *b)
{
	struct bconf	nc;
	char		err[512];

	if (bconf_load(b->conf_path, &nc, err, sizeof(err)) != LSN_OK) {
		log_warnx("reload: %s; keeping the old configuration", err);
		return;
	}
	if (strcmp(nc.listen, b->conf.listen) != 0 ||
	    strcmp(nc.db, b->conf.db) != 0 ||
	    strcmp(nc.sign_key, b->conf.sign_key) != 0 ||
	    strcmp(nc.transport_key, b->conf.transport_key) != 0 ||
	    strcmp(nc.control, b->conf.control) != 0 ||
	    strcmp(nc.endpoint_file, b->conf.endpoint_file) != 0 ||
	    nc.max_msg_bytes != b->conf.max_msg_bytes ||
	    nc.hwm != b->conf.hwm || nc.heartbeat_ms != b->conf.heartbeat_ms ||
	    nc.verify_threads != b->conf.verify_threads)
		log_warnx("reload: listen, endpoint_file, control, db, keys, "
		    "max_msg_bytes, hwm, heartbeat_ms and verify_threads "
		    "changes take effect after a restart; keeping the old "
		    "values of those");
	nc.verify_threads = b->conf.verify_threads;
	nc.max_msg_bytes = b->conf.max_msg_bytes;
	nc.hwm = b->conf.hwm;
	nc.heartbeat_ms = b->conf.heartbeat_ms;
	memcpy(nc.listen, b->conf.listen, sizeof(nc.listen));
	memcpy(nc.control, b->conf.control, sizeof(nc.control));
	memcpy(nc.endpoint_file, b->conf.endpoint_file,
	    sizeof(nc.endpoint_file));
	memcpy(nc.db, b->conf.db, sizeof(nc.db));
	memcpy(nc.sign_key, b->conf.sign_key, sizeof(nc.sign_key));
	memcpy(nc.transport_key, b->conf.transport_key,
	    sizeof(nc.transport_key));
	b->conf = nc;
	log_setverbose(nc.verbose ? 1 : log_getverbose());
	log_info("reload: configuration %s reloaded", b->conf_path);
}
