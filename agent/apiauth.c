/*
 * apiauth.c -- who may use the local API. Whoever can talk to it acts as
 * the agency (reads the inbox, sends signed messages), so:
 *
 *   ipc:// (default)  the socket is 0660 (group: api_allow_group) in a
 *                     directory without group-write or any access for
 *                     others (made so when ours, refused when shared,
 *                     e.g. /tmp); the kernel's peer credentials (SO_PEERCRED)
 *                     must name root, the agent's own uid,
 *                     api_allow_user, or a member of api_allow_group.
 *                     libzmq 4.3's IPC accept filters (ZMQ_IPC_FILTER_UID/GID, stable API, built
 *                     with SO_PEERCRED on Debian) drop other peers at
 *                     accept; our ZAP handler checks the same credentials
 *                     from the ZAP address ("...:uid:gid:pid") again.
 *   tcp:// (loopback) only with CURVE (api_key, the server's secret key)
 *                     and an allow-list of client public keys
 *                     (api_allow_keys); the ZAP handler refuses any other
 *                     key. Without both the configuration is refused.
 *
 * The ZAP handler tags every accepted connection with a User-Id; a request
 * without one (no ZAP ran) is answered E_PERM (apiauth_request_ok).
 */
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "liaison/err.h"
#include "liaison/keys.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "agent.h"

#define APIAUTH_DOMAIN		"liaison-api"
#define APIAUTH_KEYS_MAX	1024
#define APIAUTH_KEYS_FILE_MAX	(APIAUTH_KEYS_MAX * 80)

/* A number, or a name looked up with lookup; -1 when neither. */
static long
id_parse(const char *s, int group)
{
	struct passwd	*pw;
	struct group	*gr;
	char		*end;
	long		 v;

	if (s[0] >= '0' && s[0] <= '9') {
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno != 0 || *end != '\0' || v < 0 || v > 2147483646)
			return (-1);
		return (v);
	}
	if (group)
		return ((gr = getgrnam(s)) != NULL ? (long) gr->gr_gid : -1);
	return ((pw = getpwnam(s)) != NULL ? (long) pw->pw_uid : -1);
}

int
apiauth_resolve(const struct agent_conf *c, uid_t *uid, gid_t *gid,
    char *err, size_t errlen)
{
	long	u = (long) geteuid(), g = (long) getegid();

	if (c->api_allow_user[0] != '\0' &&
	    (u = id_parse(c->api_allow_user, 0)) < 0) {
		snprintf(err, errlen, "[agent] api_allow_user: no such user");
		return (LSN_ECONFIG);
	}
	if (c->api_allow_group[0] != '\0' &&
	    (g = id_parse(c->api_allow_group, 1)) < 0) {
		snprintf(err, errlen, "[agent] api_allow_group: no such "
		    "group");
		return (LSN_ECONFIG);
	}
	*uid = (uid_t) u;
	*gid = (gid_t) g;
	return (LSN_OK);
}

int
apiauth_check_conf(const struct agent_conf *c, char *err, size_t errlen)
{
	uid_t	u;
	gid_t	g;
	int	tcp = strncmp(c->api, "tcp://", 6) == 0;

	if (tcp && (c->api_key[0] == '\0' || c->api_allow_keys[0] == '\0')) {
		snprintf(err, errlen, "[agent] a tcp:// api needs CURVE: set "
		    "api_key and api_allow_keys (or use ipc://)");
		return (LSN_ECONFIG);
	}
	if (!tcp && (c->api_key[0] != '\0' || c->api_allow_keys[0] != '\0')) {
		snprintf(err, errlen, "[agent] api_key and api_allow_keys "
		    "are for a tcp:// api only");
		return (LSN_ECONFIG);
	}
	return (apiauth_resolve(c, &u, &g, err, errlen));
}

/* Reads the allow-list: one 64-hex public key per line, '#' comments. */
static int
load_keys(struct agent *a, const char *path)
{
	uint8_t	*buf = NULL, (*keys)[LSN_PK_BYTES] = NULL;
	char	*line, *save = NULL;
	size_t	 len = 0, n = 0;
	int	 rv;

	if ((rv = lsn_file_check_perms(path, 0)) != LSN_OK ||
	    (rv = lsn_file_read(path, APIAUTH_KEYS_FILE_MAX, &buf, &len)) !=
	    LSN_OK) {
		log_warnx("api_allow_keys %s: %s (a regular file not "
		    "writable by group or others)", path, lsn_strerror(rv));
		return (rv);
	}
	if ((keys = calloc(APIAUTH_KEYS_MAX, sizeof(*keys))) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	rv = LSN_ECONFIG;
	for (line = strtok_r((char *) buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		size_t l = strlen(line);

		if (l > 0 && line[l - 1] == '\r')
			line[--l] = '\0';
		if (l == 0 || line[0] == '#')
			continue;
		if (n == APIAUTH_KEYS_MAX || l != 2 * LSN_PK_BYTES ||
		    lsn_hex_decode(line, keys[n], LSN_PK_BYTES) != LSN_OK) {
			log_warnx("api_allow_keys %s: a line is not a 64-hex "
			    "public key (or over %d keys)", path,
			    APIAUTH_KEYS_MAX);
			goto out;
		}
		n++;
	}
	a->api_keys = keys;
	a->api_nkeys = n;
	keys = NULL;
	rv = LSN_OK;
 out:
	free(keys);
	free(buf);
	return (rv);
}

static int	check_dir(struct agent *);

static int
setopt_int(void *s, int opt, int v)
{
	return (zmq_setsockopt(s, opt, &v, sizeof(v)));
}

/* The tcp:// side: CURVE server with the api_key secret. */
static int
open_curve(struct agent *a)
{
	int	rv;

	if ((rv = lsn_keypair_load(a->conf.api_key, &a->api_kp)) != LSN_OK) {
		log_warnx("api_key %s: %s", a->conf.api_key,
		    lsn_strerror(rv));
		return (rv);
	}
	if (a->api_kp->kind != LSN_KEY_TRANSPORT) {
		log_warnx("api_key %s is not a transport key",
		    a->conf.api_key);
		return (LSN_EKEYFORMAT);
	}
	if ((rv = load_keys(a, a->conf.api_allow_keys)) != LSN_OK)
		return (rv);
	/* the raw 32 bytes: no text copy of the secret */
	if (setopt_int(a->api, ZMQ_CURVE_SERVER, 1) ||
	    zmq_setsockopt(a->api, ZMQ_CURVE_SECRETKEY, a->api_kp->sk,
	    LSN_BOX_SK_BYTES))
		return (LSN_EINTERNAL);
	return (LSN_OK);
}

int
apiauth_open(struct agent *a)
{
	char	err[256];
	int	uid, gid, rv;

	if ((rv = apiauth_resolve(&a->conf, &a->api_uid, &a->api_gid, err,
	    sizeof(err))) != LSN_OK) {
		log_warnx("%s", err);
		return (rv);
	}
	if ((a->api_zap = zmq_socket(a->zctx, ZMQ_REP)) == NULL ||
	    setopt_int(a->api_zap, ZMQ_LINGER, 0) ||
	    zmq_bind(a->api_zap, "inproc://zeromq.zap.01") != 0 ||
	    zmq_setsockopt(a->api, ZMQ_ZAP_DOMAIN, APIAUTH_DOMAIN,
	    strlen(APIAUTH_DOMAIN)) != 0) {
		log_warnx("api: ZAP handler: %s", zmq_strerror(errno));
		return (LSN_EINTERNAL);
	}
	if (strncmp(a->api_ep, "tcp://", 6) == 0)
		return (open_curve(a));
	if ((rv = check_dir(a)) != LSN_OK)
		return (rv);
	/* accept filters: root (it can read the database anyway), our own
	 * uid, the allowed user and group */
	uid = (int) geteuid();
	if (setopt_int(a->api, ZMQ_IPC_FILTER_UID, 0) ||
	    (uid != 0 && setopt_int(a->api, ZMQ_IPC_FILTER_UID, uid)) ||
	    (a->api_uid != (uid_t) uid && a->api_uid != 0 &&
	    setopt_int(a->api, ZMQ_IPC_FILTER_UID, (int) a->api_uid))) {
		log_warnx("api: ZMQ_IPC_FILTER_UID: %s", zmq_strerror(errno));
		return (LSN_EINTERNAL);
	}
	gid = (int) a->api_gid;
	if (setopt_int(a->api, ZMQ_IPC_FILTER_GID, gid)) {
		log_warnx("api: ZMQ_IPC_FILTER_GID: %s", zmq_strerror(errno));
		return (LSN_EINTERNAL);
	}
	return (LSN_OK);
}

/*
 * The ipc socket's directory, before the bind: nobody but us may write
 * there (whoever can would replace our socket with theirs and read what
 * integrators send). Ours: group-write and every bit of others come off
 * (0750). A directory others may write (world-writable or sticky, such as
 * /tmp) or another owner's group-writable one is refused.
 */
static int
check_dir(struct agent *a)
{
	const char	*path = a->api_ep + 6, *slash;
	char		 dir[AGENT_EP_MAX];
	struct stat	 st;

	if ((slash = strrchr(path, '/')) == NULL)
		lsn_strlcpy(dir, ".", sizeof(dir));
	else if (slash == path)
		lsn_strlcpy(dir, "/", sizeof(dir));
	else {
		if ((size_t) (slash - path) >= sizeof(dir))
			return (LSN_ETOOBIG);
		memcpy(dir, path, (size_t) (slash - path));
		dir[slash - path] = '\0';
	}
	if (stat(dir, &st) != 0) {
		log_warnx("api: %s: %s", dir, strerror(errno));
		return (LSN_EIO);
	}
	if ((st.st_mode & (S_IWGRP | S_IRWXO)) == 0)
		return (LSN_OK);
	if ((st.st_mode & (S_IWOTH | S_ISVTX)) == 0 &&
	    st.st_uid == geteuid() && chmod(dir, st.st_mode & 0750) == 0) {
		log_info("api: %s made 0%o", dir,
		    (unsigned) (st.st_mode & 0750));
		return (LSN_OK);
	}
	log_warnx("api: %s is open to others or writable by a group and not "
	    "ours to close: put the api socket in a directory of the agent's "
	    "user (0750)", dir);
	return (LSN_EPERM);
}

int
apiauth_bound(struct agent *a)
{
	const char	*path = a->api_ep + 6;

	if (strncmp(a->api_ep, "ipc://", 6) != 0)
		return (LSN_OK);
	/* the socket: owner and group read/write, nothing for others */
	if (chown(path, (uid_t) -1, a->api_gid) != 0 && errno != EPERM)
		log_warnx("api: chown %s: %s", path, strerror(errno));
	if (chmod(path, 0660) != 0) {
		log_warnx("api: chmod %s: %s", path, strerror(errno));
		return (LSN_EIO);
	}
	return (LSN_OK);
}

/* 1 if uid/gid (a peer's credentials) may use the API. */
static int
cred_ok(const struct agent *a, uid_t uid, gid_t gid)
{
	struct passwd	*pw;
	gid_t		 groups[64];
	int		 ng = 64;

	if (uid == 0 || uid == geteuid() || uid == a->api_uid ||
	    gid == a->api_gid)
		return (1);
	if ((pw = getpwuid(uid)) == NULL ||
	    getgrouplist(pw->pw_name, pw->pw_gid, groups, &ng) < 0)
		return (0);
	for (int i = 0; i < ng; i++)
		if (groups[i] == a->api_gid)
			return (1);
	return (0);
}

/* ipc: the ZAP address ends in ":uid:gid:pid" (SO_PEERCRED). */
static int
ipc_ok(const struct agent *a, const char *addr, char *who, size_t whosz)
{
	unsigned long	 v[3];
	const char	*p = addr + strlen(addr);
	char		*end;

	for (int i = 2; i >= 0; i--) {
		while (p > addr && p[-1] != ':')
			p--;
		if (p == addr)
			return (0);
		errno = 0;
		v[i] = strtoul(p, &end, 10);
		if (errno != 0 || (*end != ':' && *end != '\0') || end == p)
			return (0);
		p--;
	}
	snprintf(who, whosz, "uid:%lu", v[0]);
	return (cred_ok(a, (uid_t) v[0], (gid_t) v[1]));
}

/* tcp: the CURVE client key must be in the allow-list. */
static int
curve_ok(const struct agent *a, const zmq_msg_t *key, char *who,
    size_t whosz)
{
	char	kid[LSN_KEYID_HEXLEN + 1];

	if (zmq_msg_size(key) != LSN_PK_BYTES)
		return (0);
	lsn_key_id(zmq_msg_data((zmq_msg_t *) (uintptr_t) key), kid);
	snprintf(who, whosz, "key:%s", kid);
	for (size_t i = 0; i < a->api_nkeys; i++)
		if (memcmp(a->api_keys[i], zmq_msg_data((zmq_msg_t *)
		    (uintptr_t) key), LSN_PK_BYTES) == 0)
			return (1);
	return (0);
}

/*
 * One ZAP request: version, request id, domain, address, routing id,
 * mechanism, credentials... Answers 200 with a User-Id, or 400.
 */
void
apiauth_serve(struct agent *a)
{
	zmq_msg_t	 f[8];
	char		 addr[256], mech[16], who[64] = "", code[4] = "400";
	int		 n = 0, more = 1, ok = 0;

	while (more) {
		zmq_msg_t	 extra, *m = n < 8 ? &f[n] : &extra;

		zmq_msg_init(m);
		if (zmq_msg_recv(m, a->api_zap, n == 0 ? ZMQ_DONTWAIT : 0) <
		    0) {
			zmq_msg_close(m);
			goto out;
		}
		more = zmq_msg_more(m);
		if (n >= 8)
			zmq_msg_close(m);
		n++;
	}
	if (n < 6 || n > 8)
		goto reply;
	snprintf(addr, sizeof(addr), "%.*s", (int) zmq_msg_size(&f[3]),
	    (const char *) zmq_msg_data(&f[3]));
	snprintf(mech, sizeof(mech), "%.*s", (int) zmq_msg_size(&f[5]),
	    (const char *) zmq_msg_data(&f[5]));
	if (strcmp(mech, "NULL") == 0 && strncmp(a->api_ep, "ipc://", 6) == 0)
		ok = ipc_ok(a, addr, who, sizeof(who));
	else if (strcmp(mech, "CURVE") == 0 && n >= 7 &&
	    strncmp(a->api_ep, "tcp://", 6) == 0)
		ok = curve_ok(a, &f[6], who, sizeof(who));
	if (ok)
		memcpy(code, "200", 4);
	else if (lsn_log_ratelimit("apiauth", 10))
		log_auth("api: refused a %s client (%s)", mech,
		    who[0] != '\0' ? who : "no credentials");
 reply:
	if (n >= 2) {
		(void) zmq_send(a->api_zap, "1.0", 3, ZMQ_SNDMORE);
		(void) zmq_send(a->api_zap, zmq_msg_data(&f[1]),
		    zmq_msg_size(&f[1]), ZMQ_SNDMORE);
		(void) zmq_send(a->api_zap, code, 3, ZMQ_SNDMORE);
		(void) zmq_send(a->api_zap, ok ? "OK" : "refused", ok ? 2 : 7,
		    ZMQ_SNDMORE);
		(void) zmq_send(a->api_zap, who, ok ? strlen(who) : 0,
		    ZMQ_SNDMORE);
		(void) zmq_send(a->api_zap, "", 0, 0);
	}
 out:
	for (int i = 0; i < n && i < 8; i++)
		zmq_msg_close(&f[i]);
}

int
apiauth_request_ok(zmq_msg_t *m)
{
	const char	*uid = zmq_msg_gets(m, "User-Id");

	return (uid != NULL && (strncmp(uid, "uid:", 4) == 0 ||
	    strncmp(uid, "key:", 4) == 0));
}

void
apiauth_close(struct agent *a)
{
	if (a->api_zap != NULL) {
		zmq_close(a->api_zap);
		a->api_zap = NULL;
	}
	free(a->api_keys);
	a->api_keys = NULL;
	a->api_nkeys = 0;
	lsn_keypair_destroy(&a->api_kp);
}
