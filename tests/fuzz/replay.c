/*
 * replay.c -- a libFuzzer-compatible driver for the normal and sanitizer
 * builds: runs a harness's LLVMFuzzerTestOneInput on every file of the
 * directories given (the committed corpus tests/fuzz/corpus/<harness>/
 * and every past crash in tests/fuzz/regress/<harness>/), so `make test`
 * replays them without clang or libFuzzer. Exits 1 when no input was
 * found (an empty corpus proves nothing) or a file cannot be read; a
 * crash is the harness's own (abort, sanitizer report).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

#define REPLAY_MAX	(1 << 20)	/* larger inputs are not ours */

static int
replay_file(const char *path)
{
	FILE	*f;
	uint8_t	*buf;
	size_t	 n;

	if ((buf = malloc(REPLAY_MAX)) == NULL || (f = fopen(path, "rb")) ==
	    NULL) {
		free(buf);
		return (-1);
	}
	n = fread(buf, 1, REPLAY_MAX, f);
	fclose(f);
	(void) LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return (0);
}

int
main(int argc, char *argv[])
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		 path[4096];
	long		 n = 0, bad = 0;

	(void) LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		if ((d = opendir(argv[i])) == NULL)
			continue;	/* no regressions yet: fine */
		while ((de = readdir(d)) != NULL) {
			snprintf(path, sizeof(path), "%s/%s", argv[i],
			    de->d_name);
			if (de->d_name[0] == '.' || stat(path, &sb) != 0 ||
			    !S_ISREG(sb.st_mode))
				continue;
			if (replay_file(path) != 0)
				bad++;
			else
				n++;
		}
		closedir(d);
	}
	printf("fuzz replay: %s: %ld inputs replayed, %ld unreadable\n",
	    argv[0], n, bad);
	return (n > 0 && bad == 0 ? 0 : 1);
}
