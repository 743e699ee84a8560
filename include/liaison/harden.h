/*
 * harden.h -- process hardening both daemons apply at start-up.
 *
 * lsn_harden_process() sets umask 077 (every file a daemon creates --
 * databases, WAL, locks, sockets before their explicit chmod, the signed
 * audit head -- is 0600 or stricter), RLIMIT_CORE 0 (soft and hard: no
 * core file can hold key material or bodies) and PR_SET_DUMPABLE 0 (no
 * core dump, and processes of the same uid without CAP_SYS_PTRACE can
 * neither ptrace the daemon nor read /proc/PID/mem or environ). Call it
 * first in main(), before any file is created; fork() keeps all three,
 * execve() resets the dumpable flag.
 *
 * Returns LSN_OK, or LSN_EIO when a setting could not be applied (the
 * caller refuses to start); why (may be NULL) receives the failed step.
 */
#ifndef LIAISON_HARDEN_H
#define LIAISON_HARDEN_H

#include <stddef.h>

#include "liaison/err.h"

int	lsn_harden_process(char *why, size_t whysz) LSN_MUST_CHECK;

/*
 * Takes the group and other bits off an existing database db and its
 * -wal, -shm and .lock files (files created before umask 077 applied, by
 * an older version or an installer). Missing files are fine. Returns the
 * number of files tightened (>= 0, the caller logs it) or LSN_EIO /
 * LSN_ETOOBIG.
 */
int	lsn_harden_db_files(const char *db) LSN_MUST_CHECK;

#endif /* LIAISON_HARDEN_H */
