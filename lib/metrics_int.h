/* metrics_int.h -- shared by metrics.c and metrics_vfs.c (not public). */
#ifndef LIAISON_METRICS_INT_H
#define LIAISON_METRICS_INT_H

#include <stddef.h>
#include <stdint.h>

/* A growing text buffer; failed sticks after the first error. */
struct mbuf {
	char	*p;
	size_t	 len, cap;
	int	 failed;
};

int	mbuf_printf(struct mbuf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* One histogram series (counts per bucket, not cumulative). */
void	metrics_put_histogram(struct mbuf *b, const char *name,
	    const char *labels, const double *bounds, size_t nb,
	    const uint64_t *counts, uint64_t count, double sum);
/* metrics_vfs.c: the fsync histogram family. */
void	metrics_fsync_render(struct mbuf *b, const char *prefix);

#endif
