/* snap.c -- text snapshots from the main loop to a reader thread. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "liaison/snap.h"

struct lsn_snap {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	atomic_int	 wanted;
	uint64_t	 gen;
	char		*buf;
	size_t		 len;
};

int
lsn_snap_new(struct lsn_snap **out)
{
	struct lsn_snap		*s;
	pthread_condattr_t	 ca;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (LSN_ENOMEM);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_mutex_init(&s->mu, NULL) != 0 ||
	    pthread_cond_init(&s->cv, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		free(s);
		return (LSN_ENOMEM);
	}
	pthread_condattr_destroy(&ca);
	atomic_init(&s->wanted, 0);
	*out = s;
	return (LSN_OK);
}

void
lsn_snap_destroy(struct lsn_snap **sp)
{
	struct lsn_snap	*s;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->buf);
	free(s);
	*sp = NULL;
}

int
lsn_snap_fetch(struct lsn_snap *s, int wait_ms, char **buf, size_t *len,
    int *stale)
{
	struct timespec	 until;
	uint64_t	 gen;
	char		*copy = NULL;
	int		 rv = LSN_OK;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long) (wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	gen = s->gen;
	atomic_store(&s->wanted, 1);
	while (s->gen == gen) {
		if (pthread_cond_timedwait(&s->cv, &s->mu, &until) ==
		    ETIMEDOUT)
			break;
	}
	*stale = s->gen == gen;
	if (s->buf == NULL)
		rv = LSN_ETIMEDOUT;
	else if ((copy = malloc(s->len + 1)) == NULL)
		rv = LSN_ENOMEM;
	else {
		memcpy(copy, s->buf, s->len);
		copy[s->len] = '\0';
		*buf = copy;
		*len = s->len;
	}
	pthread_mutex_unlock(&s->mu);
	return (rv);
}

int
lsn_snap_wanted(struct lsn_snap *s)
{
	return (s != NULL && atomic_load(&s->wanted) != 0);
}

int
lsn_snap_publish(struct lsn_snap *s, const char *buf, size_t len)
{
	char	*copy;

	if ((copy = malloc(len + 1)) == NULL)
		return (LSN_ENOMEM);
	memcpy(copy, buf, len);
	copy[len] = '\0';
	pthread_mutex_lock(&s->mu);
	free(s->buf);
	s->buf = copy;
	s->len = len;
	s->gen++;
	atomic_store(&s->wanted, 0);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return (LSN_OK);
}
