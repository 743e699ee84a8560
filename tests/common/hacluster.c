/*
 * hacluster.c -- the C side of tests/ha/cluster.sh: each function runs the
 * script with lsn_proc_run() and parses what it prints.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liaison/err.h"

#include "hacluster.h"
#include "lsn_proc.h"

#define HA_MAX		8	/* clusters stopped by the atexit handler */
#define HA_START_MS	150000	/* the script gives up after 90 s itself */

static struct lsn_ha	*ha_live[HA_MAX];
static int		 ha_atexit_set;

static void
ha_atexit(void)
{
	int	i;

	for (i = 0; i < HA_MAX; i++)
		if (ha_live[i] != NULL)
			lsn_ha_stop(ha_live[i]);
}

static void
ha_track(struct lsn_ha *ha, int on)
{
	int	i;

	if (!ha_atexit_set) {
		(void) atexit(ha_atexit);
		ha_atexit_set = 1;
	}
	for (i = 0; i < HA_MAX; i++) {
		if (on && ha_live[i] == NULL) {
			ha_live[i] = ha;
			return;
		}
		if (!on && ha_live[i] == ha)
			ha_live[i] = NULL;
	}
}

/*
 * Runs `sh cluster.sh cmd dir [a1 [a2]]`; its stdout (first line, without
 * the newline) into out when out is not NULL. Returns the script's exit
 * status or -1.
 */
static int
ha_run(struct lsn_ha *ha, const char *cmd, const char *a1, const char *a2,
    char *out, size_t outlen, int timeout_ms)
{
	char	*argv[7], *buf = NULL, *nl, c[32], x1[32], x2[32];
	int	 rv, k = 0;

	(void) snprintf(c, sizeof(c), "%s", cmd);
	(void) snprintf(x1, sizeof(x1), "%s", a1 != NULL ? a1 : "");
	(void) snprintf(x2, sizeof(x2), "%s", a2 != NULL ? a2 : "");
	argv[k++] = "sh";
	argv[k++] = ha->script;
	argv[k++] = c;
	argv[k++] = ha->dir;
	if (a1 != NULL)
		argv[k++] = x1;
	if (a2 != NULL)
		argv[k++] = x2;
	argv[k] = NULL;
	rv = lsn_proc_run("/bin/sh", argv, out != NULL ? &buf : NULL, NULL,
	    timeout_ms);
	if (out != NULL && outlen > 0) {
		out[0] = '\0';
		if (buf != NULL) {
			if ((nl = strchr(buf, '\n')) != NULL)
				*nl = '\0';
			(void) snprintf(out, outlen, "%s", buf);
		}
	}
	free(buf);
	return (rv);
}

int
lsn_ha_start(struct lsn_ha *ha, const char *dir, int n, int flags)
{
	const char	*src;
	char		 ns[16], gs[32], line[128];
	int		 rv = LSN_EINVAL, st;

	memset(ha, 0, sizeof(*ha));
	if ((src = getenv("LSN_SRC_DIR")) == NULL)
		src = ".";
	if (n < 1 || n > 9 ||
	    snprintf(ha->dir, sizeof(ha->dir), "%s", dir) >=
	    (int) sizeof(ha->dir) ||
	    snprintf(ha->script, sizeof(ha->script), "%s/tests/ha/cluster.sh",
	    src) >= (int) sizeof(ha->script) ||
	    snprintf(ha->pgpass, sizeof(ha->pgpass), "%s/pgpass", dir) >=
	    (int) sizeof(ha->pgpass)) {
		fprintf(stderr, "hacluster: bad arguments\n");
		goto out;
	}
	ha->n = n;
	(void) snprintf(ns, sizeof(ns), "%d", n);
	(void) snprintf(gs, sizeof(gs), "%ld", (long) getpid());
	if (setenv("LSN_HA_SYNC", (flags & LSN_HA_ASYNC) ? "false" : "true",
	    1) == -1) {
		rv = LSN_ENOMEM;
		goto out;
	}
	ha->running = 1;
	ha_track(ha, 1);
	st = ha_run(ha, "start", ns, gs, line, sizeof(line), HA_START_MS);
	(void) unsetenv("LSN_HA_SYNC");
	if (st != 0 || sscanf(line, "up %lf", &ha->up_s) != 1) {
		fprintf(stderr, "hacluster: start failed (%d) in %s\n", st,
		    dir);
		lsn_ha_dump(ha);
		rv = LSN_EIO;
		goto out;
	}
	if (ha_run(ha, "uri", NULL, NULL, ha->uri, sizeof(ha->uri),
	    10000) != 0 || ha->uri[0] == '\0') {
		rv = LSN_EIO;
		goto out;
	}
	if (setenv("PGPASSFILE", ha->pgpass, 1) == -1) {
		rv = LSN_ENOMEM;
		goto out;
	}
	rv = LSN_OK;
out:
	if (rv != LSN_OK && ha->running)
		lsn_ha_stop(ha);
	return (rv);
}

void
lsn_ha_stop(struct lsn_ha *ha)
{
	if (!ha->running)
		return;
	if (ha_run(ha, "stop", NULL, NULL, NULL, 0, 30000) != 0)
		fprintf(stderr, "hacluster: stop %s failed\n", ha->dir);
	ha->running = 0;
	ha_track(ha, 0);
}

int
lsn_ha_leader(struct lsn_ha *ha)
{
	char	buf[16];
	int	i;

	if (ha_run(ha, "leader", NULL, NULL, buf, sizeof(buf), 20000) != 0)
		return (-1);
	i = atoi(buf);
	return (i >= 1 && i <= ha->n ? i : -1);
}

int
lsn_ha_primary(struct lsn_ha *ha, char *buf, size_t len)
{
	if (ha_run(ha, "primary", NULL, NULL, buf, len, 20000) != 0 ||
	    buf[0] == '\0')
		return (LSN_ENOENT);
	return (LSN_OK);
}

int
lsn_ha_stall_replication(struct lsn_ha *ha)
{
	char	*argv[5], *buf = NULL, *p;
	int	 n = 0, st;

	argv[0] = "sh";
	argv[1] = ha->script;
	argv[2] = "stall-replication";
	argv[3] = ha->dir;
	argv[4] = NULL;
	st = lsn_proc_run("/bin/sh", argv, &buf, NULL, 20000);
	for (p = buf; st == 0 && p != NULL && *p != '\0'; p++)
		if (*p == '\n')
			n++;
	free(buf);
	return (st == 0 && n > 0 ? n : LSN_ENOENT);
}

int
lsn_ha_resume_replication(struct lsn_ha *ha)
{
	return (ha_run(ha, "resume-replication", NULL, NULL, NULL, 0,
	    20000) == 0 ? LSN_OK : LSN_EIO);
}

int
lsn_ha_addr(struct lsn_ha *ha, int i, char *buf, size_t len)
{
	char	is[16];

	(void) snprintf(is, sizeof(is), "%d", i);
	if (i < 1 || i > ha->n ||
	    ha_run(ha, "addr", is, NULL, buf, len, 20000) != 0 ||
	    buf[0] == '\0')
		return (LSN_ENOENT);
	return (LSN_OK);
}

int
lsn_ha_wait_leader(struct lsn_ha *ha, int timeout_s, char *buf, size_t len)
{
	char	ts[16], tmp[LSN_HA_HOSTPORT_MAX];

	(void) snprintf(ts, sizeof(ts), "%d", timeout_s);
	if (buf == NULL) {
		buf = tmp;
		len = sizeof(tmp);
	}
	if (ha_run(ha, "wait-leader", ts, NULL, buf, len,
	    (timeout_s + 10) * 1000) != 0)
		return (LSN_ETIMEDOUT);
	return (LSN_OK);
}

int
lsn_ha_kill_primary(struct lsn_ha *ha)
{
	char	buf[16];
	int	i;

	if (ha_run(ha, "kill-primary", NULL, NULL, buf, sizeof(buf),
	    30000) != 0)
		return (LSN_ENOENT);
	i = atoi(buf);
	return (i >= 1 && i <= ha->n ? i : LSN_EINTERNAL);
}

int
lsn_ha_kill_node(struct lsn_ha *ha, int i)
{
	char	is[16];

	(void) snprintf(is, sizeof(is), "%d", i);
	if (i < 1 || i > ha->n)
		return (LSN_EINVAL);
	return (ha_run(ha, "kill-node", is, NULL, NULL, 0, 30000) == 0 ?
	    LSN_OK : LSN_EIO);
}

int
lsn_ha_restart_node(struct lsn_ha *ha, int i)
{
	char	is[16];

	(void) snprintf(is, sizeof(is), "%d", i);
	if (i < 1 || i > ha->n)
		return (LSN_EINVAL);
	return (ha_run(ha, "restart-node", is, NULL, NULL, 0, 30000) == 0 ?
	    LSN_OK : LSN_EIO);
}

int
lsn_ha_wait_replica(struct lsn_ha *ha, int i, int timeout_s)
{
	char	is[16], ts[16];

	(void) snprintf(is, sizeof(is), "%d", i);
	(void) snprintf(ts, sizeof(ts), "%d", timeout_s);
	if (i < 1 || i > ha->n)
		return (LSN_EINVAL);
	return (ha_run(ha, "wait-replica", is, ts, NULL, 0,
	    (timeout_s + 10) * 1000) == 0 ? LSN_OK : LSN_ETIMEDOUT);
}

int
lsn_ha_nprocs(struct lsn_ha *ha)
{
	char	*argv[5], *buf = NULL, *p;
	int	 n = 0;

	argv[0] = "sh";
	argv[1] = ha->script;
	argv[2] = "pids";
	argv[3] = ha->dir;
	argv[4] = NULL;
	if (lsn_proc_run("/bin/sh", argv, &buf, NULL, 20000) != 0) {
		free(buf);
		return (-1);
	}
	for (p = buf; p != NULL && *p != '\0'; p++)
		if (*p == '\n')
			n++;
	free(buf);
	return (n);
}

void
lsn_ha_dump(struct lsn_ha *ha)
{
	char	*argv[5], path[LSN_HA_PATH_MAX + 32];
	int	 i;

	argv[0] = "sh";
	argv[1] = ha->script;
	argv[2] = "status";
	argv[3] = ha->dir;
	argv[4] = NULL;
	(void) lsn_proc_run("/bin/sh", argv, NULL, NULL, 20000);
	for (i = 1; i <= ha->n; i++) {
		(void) snprintf(path, sizeof(path), "%s/node%d/patroni.log",
		    ha->dir, i);
		lsn_proc_dump_log(path, 3000);
	}
}
