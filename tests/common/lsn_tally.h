/*
 * Counting for the bad-input matrices: per category, how many bad inputs
 * were tried and how many were rejected with the code of their rule.
 */
#ifndef LSN_TALLY_H
#define LSN_TALLY_H

struct lsn_tally {
	long	tried, right;
};

/*
 * Sums the n categories of t into *tried and *right. Returns how many
 * categories tried nothing (0 when every category was exercised).
 * Borrows t.
 */
int	lsn_tally_sum(const struct lsn_tally *t, int n, long *tried,
	    long *right);

/*
 * Prints the matrix to stdout: "bad-input matrix (what): category, tried,
 * <verb> with the right code", one line per category (names[i]) and a
 * TOTAL line saying whether all were <verb> with their own code. verb is
 * lower case ("rejected", "refused"). Borrows everything.
 */
void	lsn_tally_print(const char *what, const char *verb,
	    const char *const *names, const struct lsn_tally *t, int n);

#endif /* LSN_TALLY_H */
