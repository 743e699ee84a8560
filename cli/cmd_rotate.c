/*
 * cmd_rotate.c -- liaison admin rotate: a partner's signing, encryption
 * and/or transport key rotated in one command, with an overlap window:
 *   1. new key pairs (keygen) in KEYS/next/; for an encryption key a copy
 *      of the new secret key as KEYS/encrypt.next.key, so the running
 *      agent opens bodies sealed to it by senders whose replica has it;
 *   2. add-key of each new key (valid from now), signed with every --key,
 *      submitted;
 *   3. once the agent's replica has them: retire-key of each old key,
 *      valid until now + --overlap (default 7d: what the old signing key
 *      signed keeps verifying, the old transport key keeps its session),
 *      signed and submitted the same way;
 *   4. the old pairs move to KEYS/old/ (the old encryption key to
 *      KEYS/encrypt.prev.key, which the agent still opens bodies with),
 *      the new ones into KEYS/.
 * The second and last command is restarting the agent, which then signs,
 * opens and connects with the new keys.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "liaison/client.h"
#include "liaison/conf.h"
#include "liaison/err.h"
#include "liaison/util.h"
#include "agentcli.h"
#include "cli.h"

#define ROT_KEYS_MAX	16
#define ROT_WAIT_MS	20000
#define ROT_NP		3	/* sign, encrypt, transport */
#define ROT_FILE_MAX	4096	/* a liaison-key file is far smaller */

static const char *const rot_name[ROT_NP] = { "sign", "encrypt",
    "transport" };
static const char *const rot_what[ROT_NP] = { "signing", "encryption",
    "transport" };

static void
rotate_usage(FILE *f)
{
	fprintf(f, "usage: liaison admin rotate --id ID --keys-dir DIR --key "
	    "ADMIN.key...\n"
	    "           --db AGENT.db -c agent.conf [--purpose LIST] "
	    "[--overlap DURATION]\n"
	    "Rotates partner ID's keys named by --purpose (sign, encrypt, "
	    "transport,\ncomma-separated or repeated, or all; default sign): "
	    "makes new pairs in\nDIR/next, publishes them (add-key), retires "
	    "the old keys with an overlap\nwindow (default 7d: what the old "
	    "signing key signed keeps verifying, the old\ntransport key keeps "
	    "its session), and moves the new pairs into DIR (the old\nones "
	    "to DIR/old; the old encryption key to DIR/encrypt.prev.key, the "
	    "new one is\nalso DIR/encrypt.next.key from the start: the agent "
	    "opens bodies sealed to\neither). Then restart the agent: it "
	    "signs, opens and connects with the new keys.\n"
	    "example: liaison admin rotate --id au-afp --purpose all "
	    "--keys-dir /etc/liaison/keys\n  --key alice/admin.key --db "
	    "/var/lib/liaison/agent.db -c /etc/liaison/agent.conf\n");
}

/*
 * Waits until the agent's replica lists key kid for partner id (retired:
 * with an end of validity), so the next change expects its version.
 */
static int
wait_key(const char *conf, const char *id, const char *kid, int retired)
{
	uint64_t	end = lsn_mono_ms() + ROT_WAIT_MS;

	for (;;) {
		Liaison__V1__ApiRequest req = LIAISON__V1__API_REQUEST__INIT;
		Liaison__V1__DirQueryRequest q =
		    LIAISON__V1__DIR_QUERY_REQUEST__INIT;
		Liaison__V1__ApiResponse *r = NULL;
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		int found = 0;

		q.partner_id = (char *) (uintptr_t) id;
		req.kind_case = LIAISON__V1__API_REQUEST__KIND_DIR_QUERY;
		req.dir_query = &q;
		if (cli_call_quiet(NULL, conf, &req, &r) == LSN_OK) {
			for (size_t i = 0; r->dir_query != NULL &&
			    i < r->dir_query->n_partners; i++)
				for (size_t k = 0; k <
				    r->dir_query->partners[i]->n_keys; k++)
					if (strcmp(r->dir_query->partners[i]->
					    keys[k]->key_id, kid) == 0 &&
					    (!retired || r->dir_query->
					    partners[i]->keys[k]->
					    valid_until_ms != 0))
						found = 1;
			lsn_client_response_free(&r);
		}
		if (found)
			return (0);
		if (lsn_mono_ms() >= end)
			return (-1);
		nanosleep(&ts, NULL);
	}
}

/* admin change ACTION ARGS... with the keys, db and conf (argv built). */
static int
change(char **args, size_t na, char **keys, size_t nk, const char *db,
    const char *conf)
{
	char	*v[64];
	int	 n = 0;

	v[n++] = (char *) "change";
	for (size_t i = 0; i < na && n < 40; i++)
		v[n++] = args[i];
	for (size_t i = 0; i < nk && n < 58; i++) {
		v[n++] = (char *) "--key";
		v[n++] = keys[i];
	}
	v[n++] = (char *) "--db";
	v[n++] = (char *) (uintptr_t) db;
	v[n++] = (char *) "-c";
	v[n++] = (char *) (uintptr_t) conf;
	v[n] = NULL;
	return (cli_admin_change(n, v));
}


/* Adds the purposes in LIST ("sign,encrypt", "all") to *mask; -1 if bad. */
static int
parse_purposes(const char *list, unsigned *mask)
{
	const char	*p = list;

	while (*p != '\0') {
		size_t	n = strcspn(p, ",");
		int	hit = 0;

		if (n == 3 && strncmp(p, "all", 3) == 0) {
			*mask |= (1u << ROT_NP) - 1;
			hit = 1;
		}
		for (int i = 0; i < ROT_NP; i++)
			if (strlen(rot_name[i]) == n &&
			    strncmp(p, rot_name[i], n) == 0) {
				*mask |= 1u << i;
				hit = 1;
			}
		if (!hit)
			return (-1);
		p += n;
		if (*p == ',')
			p++;
	}
	return (*mask != 0 ? 0 : -1);
}

/* Copies the secret key file src to dst (replaced), mode 0600. */
static int
copy_secret(const char *src, const char *dst)
{
	char	 buf[ROT_FILE_MAX];
	char	 tmp[PATH_MAX + 8];
	FILE	*f;
	size_t	 n;
	int	 fd = -1, rv = -1;

	if ((f = fopen(src, "r")) == NULL)
		return (-1);
	n = fread(buf, 1, sizeof(buf), f);
	if (ferror(f) || n == 0 || n == sizeof(buf))
		goto out;
	if ((size_t) snprintf(tmp, sizeof(tmp), "%s.tmp", dst) >= sizeof(tmp))
		goto out;
	(void) unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
		goto out;
	if (write(fd, buf, n) != (ssize_t) n || fsync(fd) != 0) {
		(void) unlink(tmp);
		goto out;
	}
	if (rename(tmp, dst) != 0) {
		(void) unlink(tmp);
		goto out;
	}
	rv = 0;
 out:
	if (fd != -1)
		close(fd);
	fclose(f);
	explicit_bzero(buf, sizeof(buf));
	return (rv);
}

struct rotation {
	const char	*id, *kd, *db, *conf;
	char		*keys[ROT_KEYS_MAX];
	size_t		 nk;
	unsigned	 mask;
	long long	 overlap;
	char		 oldk[ROT_NP][17], newk[ROT_NP][17];
	char		 until[32];
};

/* Parses the options into *r; a CLI exit code, or -1 to go on. */
static int
rotate_opts(int argc, char *argv[], struct rotation *r)
{
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
			rotate_usage(stdout);
			return (CLI_EXIT_OK);
		}
		if (v == NULL)
			return (cli_usage_exit(0, rotate_usage));
		i++;
		if (strcmp(o, "--id") == 0)
			r->id = v;
		else if (strcmp(o, "--keys-dir") == 0)
			r->kd = v;
		else if (strcmp(o, "--db") == 0)
			r->db = v;
		else if (strcmp(o, "-c") == 0)
			r->conf = v;
		else if (strcmp(o, "--key") == 0 && r->nk < ROT_KEYS_MAX)
			r->keys[r->nk++] = (char *) (uintptr_t) v;
		else if (strcmp(o, "--purpose") == 0) {
			if (parse_purposes(v, &r->mask) != 0) {
				cli_err("admin", "rotate: --purpose takes sign, "
				    "encrypt, transport (comma-separated) or "
				    "all, not '%s'", v);
				return (CLI_EXIT_USAGE);
			}
		} else if (strcmp(o, "--overlap") == 0) {
			if (lsn_conf_parse_duration(v, &r->overlap) !=
			    LSN_OK) {
				cli_err("admin", "rotate: --overlap takes a "
				    "duration (7d, 12h), not '%s'", v);
				return (CLI_EXIT_USAGE);
			}
		} else {
			rotate_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	if (r->mask == 0)
		r->mask = 1u;	/* sign, as before --purpose existed */
	if (r->id == NULL || r->kd == NULL || r->db == NULL ||
	    r->conf == NULL || r->nk == 0 || !lsn_slug_valid(r->id))
		return (cli_usage_exit(0, rotate_usage));
	return (-1);
}

/*
 * Steps 1-3: new pairs, encrypt.next.key, add-key of each new key, the
 * replica waited for, retire-key of each old key.
 */
static int
rotate_publish(struct rotation *r)
{
	char	nd[PATH_MAX], a[PATH_MAX + 32], b[PATH_MAX + 32];
	int	rv;

	for (int p = 0; p < ROT_NP; p++) {
		if (!(r->mask & (1u << p)))
			continue;
		snprintf(a, sizeof(a), "%s/%s.pub", r->kd, rot_name[p]);
		if (cli_keyfile_hex(a, "key-id", 16, r->oldk[p]) != 0) {
			cli_err("admin", "rotate: %s: no %s key to rotate", a,
			    rot_what[p]);
			return (CLI_EXIT_FAIL);
		}
	}
	snprintf(nd, sizeof(nd), "%s/next", r->kd);
	{
		char *kv[] = { (char *) "keygen", (char *) "--partner",
		    (char *) (uintptr_t) r->id, (char *) "--out", nd,
		    (char *) "--force", NULL };

		if ((rv = cmd_keygen(6, kv)) != CLI_EXIT_OK)
			return (rv);
	}
	for (int p = 0; p < ROT_NP; p++) {
		if (!(r->mask & (1u << p)))
			continue;
		snprintf(a, sizeof(a), "%s/%s.pub", nd, rot_name[p]);
		if (cli_keyfile_hex(a, "key-id", 16, r->newk[p]) != 0)
			return (CLI_EXIT_FAIL);
	}
	if (r->mask & 2u) {
		snprintf(a, sizeof(a), "%s/encrypt.key", nd);
		snprintf(b, sizeof(b), "%s/encrypt.next.key", r->kd);
		if (copy_secret(a, b) != 0) {
			cli_err("admin", "rotate: copying %s to %s: %s", a, b,
			    strerror(errno));
			return (CLI_EXIT_FAIL);
		}
	}
	for (int p = 0; p < ROT_NP; p++) {
		char *av[] = { (char *) "add-key", (char *) "--id",
		    (char *) (uintptr_t) r->id, (char *) "--pub", a,
		    (char *) "--valid-from", (char *) "now" };

		if (!(r->mask & (1u << p)))
			continue;
		snprintf(a, sizeof(a), "%s/%s.pub", nd, rot_name[p]);
		if ((rv = change(av, 7, r->keys, r->nk, r->db, r->conf)) !=
		    CLI_EXIT_OK)
			return (rv);
		if (wait_key(r->conf, r->id, r->newk[p], 0) != 0) {
			cli_err("admin", "rotate: the agent's replica did not "
			    "show the new key %s in time; retire %s later with "
			    "liaison admin change retire-key", r->newk[p],
			    r->oldk[p]);
			return (CLI_EXIT_FAIL);
		}
	}
	snprintf(r->until, sizeof(r->until), "%llu", (unsigned long long)
	    (lsn_now_ms() + (uint64_t) r->overlap));
	for (int p = 0; p < ROT_NP; p++) {
		char *rv_[] = { (char *) "retire-key", (char *) "--id",
		    (char *) (uintptr_t) r->id, (char *) "--key-id",
		    r->oldk[p], (char *) "--until", r->until };

		if (!(r->mask & (1u << p)))
			continue;
		if ((rv = change(rv_, 7, r->keys, r->nk, r->db, r->conf)) !=
		    CLI_EXIT_OK)
			return (rv);
		if (wait_key(r->conf, r->id, r->oldk[p], 1) != 0) {
			cli_err("admin", "rotate: the agent's replica did not "
			    "show %s retired in time", r->oldk[p]);
			return (CLI_EXIT_FAIL);
		}
	}
	return (CLI_EXIT_OK);
}

/* Step 4: old pairs to KEYS/old (encrypt.key to encrypt.prev.key). */
static int
rotate_swap(const struct rotation *r)
{
	char	od[PATH_MAX], a[PATH_MAX + 32], b[PATH_MAX + 32];

	snprintf(od, sizeof(od), "%s/old", r->kd);
	if (mkdir(od, 0700) != 0 && errno != EEXIST) {
		cli_err("admin", "rotate: %s: %s", od, strerror(errno));
		return (CLI_EXIT_FAIL);
	}
	for (int p = 0; p < ROT_NP; p++) {
		if (!(r->mask & (1u << p)))
			continue;
		for (int i = 0; i < 2; i++) {
			snprintf(a, sizeof(a), "%s/%s.%s", r->kd, rot_name[p],
			    i == 0 ? "key" : "pub");
			if (p == 1 && i == 0)
				snprintf(b, sizeof(b), "%s/encrypt.prev.key",
				    r->kd);
			else
				snprintf(b, sizeof(b), "%s/%s.%s", od,
				    rot_name[p], i == 0 ? "key" : "pub");
			if (rename(a, b) != 0)
				goto fail;
			snprintf(a, sizeof(a), "%s/next/%s.%s", r->kd,
			    rot_name[p], i == 0 ? "key" : "pub");
			snprintf(b, sizeof(b), "%s/%s.%s", r->kd, rot_name[p],
			    i == 0 ? "key" : "pub");
			if (rename(a, b) != 0)
				goto fail;
		}
	}
	/* the pairs not rotated were never published: no secret left behind */
	for (int p = 0; p < ROT_NP; p++)
		for (int i = 0; i < 2 && !(r->mask & (1u << p)); i++) {
			snprintf(a, sizeof(a), "%s/next/%s.%s", r->kd,
			    rot_name[p], i == 0 ? "key" : "pub");
			(void) unlink(a);
		}
	snprintf(a, sizeof(a), "%s/next", r->kd);
	(void) rmdir(a);
	return (CLI_EXIT_OK);
 fail:
	cli_err("admin", "rotate: moving %s to %s: %s (the directory has the "
	    "new keys; move the files by hand)", a, b, strerror(errno));
	return (CLI_EXIT_FAIL);
}

int
cli_admin_rotate(int argc, char *argv[])
{
	struct rotation	r;
	int		rv;

	memset(&r, 0, sizeof(r));
	r.overlap = 7LL * 86400 * 1000;
	if ((rv = rotate_opts(argc, argv, &r)) != -1)
		return (rv);
	if ((rv = rotate_publish(&r)) != CLI_EXIT_OK)
		return (rv);
	if ((rv = rotate_swap(&r)) != CLI_EXIT_OK)
		return (rv);
	for (int p = 0; p < ROT_NP; p++)
		if (r.mask & (1u << p))
			printf("%s key of %s rotated: %s (new) replaces %s "
			    "(valid until %s ms)\n", rot_what[p], r.id,
			    r.newk[p], r.oldk[p], r.until);
	printf("restart the agent (the second command) to use the new "
	    "key%s\n", (r.mask & (r.mask - 1)) != 0 ? "s" : "");
	if (r.mask & 2u)
		printf("the agent also opens bodies with %s/encrypt.prev.key "
		    "(the old key) and encrypt.next.key (a copy of the new "
		    "one): delete both once the\nold key is retired and "
		    "`liaison broker-status` shows no queue for %s\n", r.kd,
		    r.id);
	return (CLI_EXIT_OK);
}
