/*
 * filew.c -- a file kept up to date from a thread (util.h lsn_filew_*):
 * the caller hands over the newest contents, the thread writes them with
 * lsn_file_write_atomic (temp file, fsync, rename, fsync of the
 * directory) so that the caller's loop never waits for those syncs.
 * Only the newest contents matter: a put replaces one not yet written.
 *
 * Also lsn_thread_start, the daemons' way to start a thread.
 *
 * Ownership: the writer copies what it is given; lsn_filew_close writes
 * what is still pending, joins the thread and frees everything.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/log.h"
#include "liaison/thread.h"
#include "liaison/util.h"

struct lsn_filew {
	pthread_t	 th;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	char		*path;
	unsigned	 mode;
	void		*next;		/* newest contents, not yet written */
	size_t		 nextlen;
	int		 stop;
	int		 lasterr;	/* the last write's lsn_err */
};

static void *
filew_main(void *arg)
{
	struct lsn_filew	*w = arg;
	void			*buf;
	size_t			 len;
	int			 rv;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->next == NULL && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->next == NULL)
			break;		/* stopping, nothing left */
		buf = w->next;
		len = w->nextlen;
		w->next = NULL;
		pthread_mutex_unlock(&w->mu);
		rv = lsn_file_write_atomic(w->path, buf, len, w->mode);
		free(buf);
		pthread_mutex_lock(&w->mu);
		if (rv != LSN_OK && w->lasterr == LSN_OK)
			log_warnx("%s: cannot write: %s", w->path,
			    lsn_strerror(rv));
		w->lasterr = rv;
	}
	pthread_mutex_unlock(&w->mu);
	return (NULL);
}

int
lsn_thread_start(pthread_t *th, void *(*fn)(void *), void *arg)
{
	sigset_t	all, old;
	int		rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(th, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return (rc);
}

int
lsn_filew_open(const char *path, unsigned mode, struct lsn_filew **out)
{
	struct lsn_filew	*w;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->path = strdup(path)) == NULL) {
		free(w);
		return (LSN_ENOMEM);
	}
	w->mode = mode;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (lsn_thread_start(&w->th, filew_main, w) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w->path);
		free(w);
		return (LSN_EINTERNAL);
	}
	*out = w;
	return (LSN_OK);
}

int
lsn_filew_put(struct lsn_filew *w, const void *data, size_t len)
{
	void	*copy, *old;
	int	 rv;

	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		return (LSN_ENOMEM);
	memcpy(copy, data, len);
	pthread_mutex_lock(&w->mu);
	old = w->next;
	w->next = copy;
	w->nextlen = len;
	rv = w->lasterr;
	pthread_mutex_unlock(&w->mu);
	pthread_cond_signal(&w->cv);
	free(old);
	return (rv);
}

int
lsn_filew_close(struct lsn_filew **wp)
{
	struct lsn_filew	*w;
	int			 rv;

	if (wp == NULL || (w = *wp) == NULL)
		return (LSN_OK);
	*wp = NULL;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_mutex_unlock(&w->mu);
	pthread_cond_signal(&w->cv);
	pthread_join(w->th, NULL);	/* writes what was pending first */
	rv = w->lasterr;
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->path);
	free(w);
	return (rv);
}
