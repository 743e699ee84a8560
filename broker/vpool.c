/* vpool.c -- signature verification threads for the broker (vpool.h). */
#include <pthread.h>
#include <stdlib.h>

#include "liaison/err.h"
#include "liaison/thread.h"

#include "vpool.h"

enum {
	VJ_IDLE = 0,
	VJ_INLINE,	/* run by vpool_wait on the loop's thread */
	VJ_QUEUED,
	VJ_RUNNING,
	VJ_DONE,
};

struct vpool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* a job was queued, or stop */
	pthread_cond_t	 done;		/* a job finished */
	struct vjob	*head, *tail;
	int		 stop;
	int		 nthreads;
	pthread_t	 th[VPOOL_THREADS_MAX];
};

static void
run(struct vjob *j)
{
	j->env = NULL;
	j->field = NULL;
	j->rv = lsn_envelope_verify_parse(j->o, j->pk, &j->env, &j->field);
}

static void *
worker(void *arg)
{
	struct vpool	*p = arg;
	struct vjob	*j;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->head == NULL && !p->stop)
			pthread_cond_wait(&p->work, &p->mu);
		if ((j = p->head) == NULL)
			break;		/* stop, and nothing left */
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		j->next = NULL;
		j->state = VJ_RUNNING;
		pthread_mutex_unlock(&p->mu);
		run(j);
		pthread_mutex_lock(&p->mu);
		j->state = VJ_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return (NULL);
}

int
vpool_open(int nthreads, struct vpool **out)
{
	struct vpool	*p;
	int		 rv = LSN_OK;

	if (out == NULL || nthreads < 0 || nthreads > VPOOL_THREADS_MAX)
		return (LSN_EINVAL);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (LSN_ENOMEM);
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return (LSN_ENOMEM);
	}
	if (pthread_cond_init(&p->work, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		return (LSN_ENOMEM);
	}
	if (pthread_cond_init(&p->done, NULL) != 0) {
		pthread_cond_destroy(&p->work);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return (LSN_ENOMEM);
	}
	/* Signals stay with the loop's thread: workers block them all. */
	for (int i = 0; i < nthreads; i++) {
		if (lsn_thread_start(&p->th[i], worker, p) != 0) {
			rv = LSN_EIO;
			break;
		}
		p->nthreads++;
	}
	if (rv != LSN_OK) {
		vpool_close(&p);
		return (rv);
	}
	*out = p;
	return (LSN_OK);
}

void
vpool_close(struct vpool **pp)
{
	struct vpool	*p;

	if (pp == NULL || (p = *pp) == NULL)
		return;
	*pp = NULL;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->th[i], NULL);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

int
vpool_threads(const struct vpool *p)
{
	return (p != NULL ? p->nthreads : 0);
}

void
vpool_submit(struct vpool *p, struct vjob *j)
{
	vpool_keep(j);		/* without workers, run by the waiter */
	if (p == NULL || p->nthreads == 0)
		return;
	pthread_mutex_lock(&p->mu);
	j->state = VJ_QUEUED;
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

void
vpool_keep(struct vjob *j)
{
	j->next = NULL;
	j->env = NULL;
	j->field = NULL;
	j->rv = LSN_EINTERNAL;
	j->state = VJ_INLINE;
}

void
vpool_wait(struct vpool *p, struct vjob *j)
{
	struct vjob	*q, *prev = NULL;

	if (j->state == VJ_INLINE) {
		run(j);
		j->state = VJ_IDLE;
		return;
	}
	if (p == NULL || p->nthreads == 0) {
		j->state = VJ_IDLE;	/* never submitted */
		return;
	}
	pthread_mutex_lock(&p->mu);
	if (j->state == VJ_QUEUED) {
		/* Nobody took it yet: unlink it and run it here. */
		for (q = p->head; q != NULL && q != j; q = q->next)
			prev = q;
		if (q == j) {
			if (prev != NULL)
				prev->next = j->next;
			else
				p->head = j->next;
			if (p->tail == j)
				p->tail = prev;
			j->next = NULL;
			j->state = VJ_RUNNING;
			pthread_mutex_unlock(&p->mu);
			run(j);
			j->state = VJ_IDLE;
			return;
		}
	}
	while (j->state != VJ_DONE && j->state != VJ_IDLE)
		pthread_cond_wait(&p->done, &p->mu);
	j->state = VJ_IDLE;
	pthread_mutex_unlock(&p->mu);
}
