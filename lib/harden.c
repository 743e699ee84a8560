/* harden.c -- umask, core limit and dumpable flag (see harden.h). */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "liaison/harden.h"

int
lsn_harden_process(char *why, size_t whysz)
{
	struct rlimit	rl;
	const char	*step = NULL;
	int		rv = LSN_EIO;

	(void) umask(077);
	rl.rlim_cur = 0;
	rl.rlim_max = 0;
	if (setrlimit(RLIMIT_CORE, &rl) != 0) {
		step = "setrlimit(RLIMIT_CORE, 0)";
		goto out;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
	    prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) {
		step = "prctl(PR_SET_DUMPABLE, 0)";
		goto out;
	}
	rv = LSN_OK;
 out:
	if (rv != LSN_OK && why != NULL && whysz > 0)
		snprintf(why, whysz, "%s: %s", step, strerror(errno));
	return (rv);
}

int
lsn_harden_db_files(const char *db)
{
	static const char *const sfx[] = { "", "-wal", "-shm", ".lock" };
	struct stat	st;
	char		path[4096];
	int		n = 0;

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		int k = snprintf(path, sizeof(path), "%s%s", db, sfx[i]);

		if (k < 0 || (size_t) k >= sizeof(path))
			return (LSN_ETOOBIG);
		if (lstat(path, &st) != 0) {
			if (errno == ENOENT)
				continue;
			return (LSN_EIO);
		}
		if (!S_ISREG(st.st_mode) || (st.st_mode & 077) == 0)
			continue;
		if (chmod(path, st.st_mode & 0700) != 0)
			return (LSN_EIO);
		n++;
	}
	return (n);
}
