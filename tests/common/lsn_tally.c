/*
 * Counting and printing for the bad-input matrices (lsn_tally.h).
 */
#include <ctype.h>
#include <stdio.h>

#include "lsn_tally.h"

int
lsn_tally_sum(const struct lsn_tally *t, int n, long *tried, long *right)
{
	int	empty = 0;

	*tried = 0;
	*right = 0;
	for (int c = 0; c < n; c++) {
		*tried += t[c].tried;
		*right += t[c].right;
		if (t[c].tried == 0)
			empty++;
	}
	return (empty);
}

void
lsn_tally_print(const char *what, const char *verb,
    const char *const *names, const struct lsn_tally *t, int n)
{
	char	up[32];
	long	tried, right;
	size_t	i;

	for (i = 0; verb[i] != '\0' && i + 1 < sizeof(up); i++)
		up[i] = (char) toupper((unsigned char) verb[i]);
	up[i] = '\0';
	(void) lsn_tally_sum(t, n, &tried, &right);
	printf("bad-input matrix (%s): category, tried, %s with the right "
	    "code\n", what, verb);
	for (int c = 0; c < n; c++)
		printf("  %-34s %6ld %6ld\n", names[c], t[c].tried,
		    t[c].right);
	if (tried == right)
		printf("  %-34s %6ld %6ld  (all %s with their own code)\n",
		    "TOTAL", tried, right, verb);
	else
		printf("  %-34s %6ld %6ld  (SOME NOT %s RIGHT)\n", "TOTAL",
		    tried, right, up);
}
