/*
 * tcpproxy.c -- a small TCP proxy for network fault tests (see tcpproxy.h).
 *
 * One thread, one poll loop over a wake-up pipe, the listening socket and
 * both sockets of every connection. Each direction has a queue of chunks
 * with the time they may be written (now, or now + delay_ms); at most
 * PROXY_QUEUE_MAX bytes are queued per direction (then the source is not
 * read, so TCP pushes back). A direction that is held (STALL, ONLY_*) is
 * neither read nor written; its source is only polled for POLLRDHUP so a
 * peer's close is logged while its socket stays open.
 */
#define _GNU_SOURCE	/* POLLRDHUP */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liaison/util.h"

#include "tcpproxy.h"

#define PROXY_QUEUE_MAX	(1024 * 1024)
#define PROXY_READ	(64 * 1024)
#define PROXY_CONNS_MAX	64

struct chunk {
	struct chunk	*next;
	uint64_t	 due;	/* mono ms */
	size_t		 len;
	size_t		 off;
	uint8_t		 data[];
};

struct pdir {
	struct chunk	*head;
	struct chunk	*tail;
	size_t		 queued;
};

struct conn {
	unsigned	 id;
	int		 a;		/* client */
	int		 b;		/* upstream */
	struct pdir	 ab;
	struct pdir	 ba;
	int		 a_closed;	/* logged */
	int		 b_closed;
	int		 ia, ib;	/* pollfd index or -1 */
};

struct tcpproxy {
	pthread_t		 th;
	int			 started;
	int			 lfd;
	int			 port;
	int			 up_port;
	int			 wake[2];
	pthread_mutex_t		 mu;
	/* under mu */
	int			 mode;
	int			 delay_ms;
	int			 quit;
	struct tcpproxy_event	*ev;
	size_t			 nev, capev;
	uint64_t		 bytes_ab, bytes_ba;
	size_t			 nopen;
	/* proxy thread only */
	unsigned		 nextid;
	struct conn		 conns[PROXY_CONNS_MAX];
	size_t			 nconns;
};

static void
log_ev(struct tcpproxy *p, unsigned conn, int kind)
{
	pthread_mutex_lock(&p->mu);
	if (p->nev == p->capev) {
		size_t			 n = p->capev ? p->capev * 2 : 256;
		struct tcpproxy_event	*e = realloc(p->ev, n * sizeof(*e));

		if (e == NULL) {
			pthread_mutex_unlock(&p->mu);
			return;
		}
		p->ev = e;
		p->capev = n;
	}
	p->ev[p->nev].t_ms = lsn_mono_ms();
	p->ev[p->nev].conn = conn;
	p->ev[p->nev].kind = kind;
	p->nev++;
	pthread_mutex_unlock(&p->mu);
}

static int
set_nonblock(int fd)
{
	int	fl = fcntl(fd, F_GETFL);

	return (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ? -1 :
	    0);
}

static void
pdir_free(struct pdir *d)
{
	struct chunk	*c, *n;

	for (c = d->head; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
	d->head = d->tail = NULL;
	d->queued = 0;
}

static int
pdir_push(struct pdir *d, const uint8_t *buf, size_t len, uint64_t due)
{
	struct chunk	*c;

	if ((c = malloc(sizeof(*c) + len)) == NULL)
		return (-1);
	c->next = NULL;
	c->due = due;
	c->len = len;
	c->off = 0;
	memcpy(c->data, buf, len);
	if (d->tail != NULL)
		d->tail->next = c;
	else
		d->head = c;
	d->tail = c;
	d->queued += len;
	return (0);
}

static int
pdir_ready(const struct pdir *d, uint64_t now)
{
	return (d->head != NULL && d->head->due <= now);
}

/* Closes connection i (logging kind if not 0) and removes it. */
static void
conn_close(struct tcpproxy *p, size_t i, int kind)
{
	struct conn	*c = &p->conns[i];

	if (kind >= 0)
		log_ev(p, c->id, kind);
	close(c->a);
	close(c->b);
	pdir_free(&c->ab);
	pdir_free(&c->ba);
	if (i + 1 < p->nconns)
		p->conns[i] = p->conns[p->nconns - 1];
	p->nconns--;
	pthread_mutex_lock(&p->mu);
	p->nopen = p->nconns;
	pthread_mutex_unlock(&p->mu);
}

static int
connect_upstream(int port)
{
	struct sockaddr_in	sin;
	int			fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t) port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *) &sin, sizeof(sin)) == -1 ||
	    set_nonblock(fd) == -1) {
		close(fd);
		return (-1);
	}
	(void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return (fd);
}

static void
do_accept(struct tcpproxy *p, int mode)
{
	struct conn	*c;
	unsigned	 id;
	int		 a, b, one = 1;

	while ((a = accept(p->lfd, NULL, NULL)) != -1) {
		id = ++p->nextid;
		log_ev(p, id, TCPPROXY_EV_ACCEPT);
		if (mode == TCPPROXY_DROP || p->nconns == PROXY_CONNS_MAX) {
			close(a);
			log_ev(p, id, TCPPROXY_EV_DROPPED);
			continue;
		}
		if ((b = connect_upstream(p->up_port)) == -1) {
			close(a);
			log_ev(p, id, TCPPROXY_EV_NO_UPSTREAM);
			continue;
		}
		if (set_nonblock(a) == -1) {
			close(a);
			close(b);
			log_ev(p, id, TCPPROXY_EV_DROPPED);
			continue;
		}
		(void) setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		c = &p->conns[p->nconns++];
		memset(c, 0, sizeof(*c));
		c->id = id;
		c->a = a;
		c->b = b;
		c->ia = c->ib = -1;
		pthread_mutex_lock(&p->mu);
		p->nopen = p->nconns;
		pthread_mutex_unlock(&p->mu);
	}
}

/* Reads from fd into d. 0 ok, -1 closed / error. */
static int
do_read(int fd, struct pdir *d, uint64_t due)
{
	uint8_t	buf[PROXY_READ];
	ssize_t	n;

	while (d->queued < PROXY_QUEUE_MAX) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			if (pdir_push(d, buf, (size_t) n, due) == -1)
				return (-1);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			return (0);
		return (-1);
	}
	return (0);
}

/* Writes the due chunks of d to fd. 0 ok, -1 error. */
static int
do_write(int fd, struct pdir *d, uint64_t now, uint64_t *count)
{
	struct chunk	*c;
	ssize_t		 n;

	while ((c = d->head) != NULL && c->due <= now) {
		n = send(fd, c->data + c->off, c->len - c->off, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return (0);
			return (-1);
		}
		c->off += (size_t) n;
		d->queued -= (size_t) n;
		*count += (uint64_t) n;
		if (c->off < c->len)
			return (0);
		d->head = c->next;
		if (d->head == NULL)
			d->tail = NULL;
		free(c);
	}
	return (0);
}

static int
ab_active(int mode)
{
	return (mode == TCPPROXY_PASS || mode == TCPPROXY_DELAY ||
	    mode == TCPPROXY_ONLY_AB);
}

static int
ba_active(int mode)
{
	return (mode == TCPPROXY_PASS || mode == TCPPROXY_DELAY ||
	    mode == TCPPROXY_ONLY_BA);
}

/* Earliest due time of a chunk that is waiting only for its time. */
static uint64_t
next_due(const struct pdir *d, uint64_t cur)
{
	if (d->head != NULL && (cur == 0 || d->head->due < cur))
		return (d->head->due);
	return (cur);
}

/* Handles one connection's poll results; 1 if it was closed. */
static int
conn_io(struct tcpproxy *p, size_t i, const struct pollfd *pfd, int mode,
    uint64_t due)
{
	struct conn	*c = &p->conns[i];
	short		 ra = c->ia >= 0 ? pfd[c->ia].revents : 0;
	short		 rb = c->ib >= 0 ? pfd[c->ib].revents : 0;
	uint64_t	 now = lsn_mono_ms(), nab = 0, nba = 0;
	int		 rv = 0;

	if (ab_active(mode) && (ra & (POLLIN | POLLHUP | POLLERR)) &&
	    do_read(c->a, &c->ab, due) == -1) {
		conn_close(p, i, c->a_closed ? -1 : TCPPROXY_EV_A_CLOSED);
		return (1);
	}
	if (ba_active(mode) && (rb & (POLLIN | POLLHUP | POLLERR)) &&
	    do_read(c->b, &c->ba, due) == -1) {
		conn_close(p, i, c->b_closed ? -1 : TCPPROXY_EV_B_CLOSED);
		return (1);
	}
	if (!ab_active(mode) && !c->a_closed &&
	    (ra & (POLLRDHUP | POLLHUP | POLLERR))) {
		c->a_closed = 1;
		log_ev(p, c->id, TCPPROXY_EV_A_CLOSED);
	}
	if (!ba_active(mode) && !c->b_closed &&
	    (rb & (POLLRDHUP | POLLHUP | POLLERR))) {
		c->b_closed = 1;
		log_ev(p, c->id, TCPPROXY_EV_B_CLOSED);
	}
	if (ab_active(mode) && do_write(c->b, &c->ab, now, &nab) == -1)
		rv = TCPPROXY_EV_B_CLOSED;
	else if (ba_active(mode) && do_write(c->a, &c->ba, now, &nba) == -1)
		rv = TCPPROXY_EV_A_CLOSED;
	pthread_mutex_lock(&p->mu);
	p->bytes_ab += nab;
	p->bytes_ba += nba;
	pthread_mutex_unlock(&p->mu);
	if (rv != 0) {
		if ((rv == TCPPROXY_EV_A_CLOSED && c->a_closed) ||
		    (rv == TCPPROXY_EV_B_CLOSED && c->b_closed))
			rv = -1;
		conn_close(p, i, rv);
		return (1);
	}
	return (0);
}

static void *
proxy_main(void *arg)
{
	struct tcpproxy	*p = arg;
	struct pollfd	 pfd[2 + 2 * PROXY_CONNS_MAX];
	uint8_t		 junk[64];

	for (;;) {
		uint64_t	now = lsn_mono_ms(), due = 0;
		int		mode, delay, quit, tmo;
		nfds_t		n = 0;

		pthread_mutex_lock(&p->mu);
		mode = p->mode;
		delay = p->delay_ms;
		quit = p->quit;
		pthread_mutex_unlock(&p->mu);
		if (quit)
			break;
		if (mode == TCPPROXY_DROP)
			while (p->nconns > 0)
				conn_close(p, p->nconns - 1,
				    TCPPROXY_EV_DROPPED);
		pfd[n].fd = p->wake[0];
		pfd[n++].events = POLLIN;
		pfd[n].fd = p->lfd;
		pfd[n++].events = POLLIN;
		for (size_t i = 0; i < p->nconns; i++) {
			struct conn	*c = &p->conns[i];
			short		 ea = 0, eb = 0;

			if (ab_active(mode)) {
				if (c->ab.queued < PROXY_QUEUE_MAX)
					ea |= POLLIN;
				if (pdir_ready(&c->ab, now))
					eb |= POLLOUT;
				due = next_due(&c->ab, due);
			} else if (!c->a_closed)
				ea |= POLLRDHUP;
			if (ba_active(mode)) {
				if (c->ba.queued < PROXY_QUEUE_MAX)
					eb |= POLLIN;
				if (pdir_ready(&c->ba, now))
					ea |= POLLOUT;
				due = next_due(&c->ba, due);
			} else if (!c->b_closed)
				eb |= POLLRDHUP;
			c->ia = c->ib = -1;
			if (ea != 0) {
				c->ia = (int) n;
				pfd[n].fd = c->a;
				pfd[n++].events = ea;
			}
			if (eb != 0) {
				c->ib = (int) n;
				pfd[n].fd = c->b;
				pfd[n++].events = eb;
			}
		}
		tmo = 100;
		if (due != 0)
			tmo = due <= now ? 0 : (int) (due - now < 100 ?
			    due - now : 100);
		if (poll(pfd, n, tmo) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents & POLLIN)
			while (read(p->wake[0], junk, sizeof(junk)) > 0)
				;
		if (pfd[1].revents & POLLIN)
			do_accept(p, mode);
		for (size_t i = 0; i < p->nconns; ) {
			/* a connection accepted in this turn has no index */
			if (p->conns[i].ia == -1 && p->conns[i].ib == -1 &&
			    !pdir_ready(&p->conns[i].ab, lsn_mono_ms()) &&
			    !pdir_ready(&p->conns[i].ba, lsn_mono_ms())) {
				i++;
				continue;
			}
			if (!conn_io(p, i, pfd, mode, lsn_mono_ms() +
			    (mode == TCPPROXY_DELAY ? (uint64_t) delay : 0)))
				i++;
		}
	}
	while (p->nconns > 0)
		conn_close(p, p->nconns - 1, -1);
	return (NULL);
}

int
tcpproxy_start(int upstream_port, struct tcpproxy **out)
{
	struct tcpproxy		*p;
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 one = 1;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (-1);
	p->lfd = p->wake[0] = p->wake[1] = -1;
	p->up_port = upstream_port;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return (-1);
	}
	if (pipe(p->wake) == -1 || set_nonblock(p->wake[0]) == -1 ||
	    set_nonblock(p->wake[1]) == -1 ||
	    (p->lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		goto fail;
	(void) setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(p->lfd, (struct sockaddr *) &sin, sizeof(sin)) == -1 ||
	    listen(p->lfd, 64) == -1 || set_nonblock(p->lfd) == -1 ||
	    getsockname(p->lfd, (struct sockaddr *) &sin, &sl) == -1)
		goto fail;
	p->port = ntohs(sin.sin_port);
	if (pthread_create(&p->th, NULL, proxy_main, p) != 0)
		goto fail;
	p->started = 1;
	*out = p;
	return (0);
 fail:
	fprintf(stderr, "tcpproxy: cannot start: %s\n", strerror(errno));
	tcpproxy_stop(&p);
	return (-1);
}

int
tcpproxy_port(const struct tcpproxy *p)
{
	return (p->port);
}

void
tcpproxy_set_mode(struct tcpproxy *p, int mode, int delay_ms)
{
	pthread_mutex_lock(&p->mu);
	p->mode = mode;
	p->delay_ms = delay_ms < 0 ? 0 : delay_ms;
	pthread_mutex_unlock(&p->mu);
	if (write(p->wake[1], "m", 1) == -1) {
		/* the pipe is full: the thread is awake anyway */
	}
}

size_t
tcpproxy_open_conns(struct tcpproxy *p)
{
	size_t	n;

	pthread_mutex_lock(&p->mu);
	n = p->nopen;
	pthread_mutex_unlock(&p->mu);
	return (n);
}

size_t
tcpproxy_events(struct tcpproxy *p, int kind, uint64_t since,
    struct tcpproxy_event *ev, size_t max)
{
	size_t	n = 0;

	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->nev; i++) {
		if (p->ev[i].t_ms < since ||
		    (kind >= 0 && p->ev[i].kind != kind))
			continue;
		if (ev != NULL && n < max)
			ev[n] = p->ev[i];
		n++;
	}
	pthread_mutex_unlock(&p->mu);
	return (n);
}

void
tcpproxy_bytes(struct tcpproxy *p, uint64_t *ab, uint64_t *ba)
{
	pthread_mutex_lock(&p->mu);
	*ab = p->bytes_ab;
	*ba = p->bytes_ba;
	pthread_mutex_unlock(&p->mu);
}

void
tcpproxy_stop(struct tcpproxy **pp)
{
	struct tcpproxy	*p;

	if (pp == NULL || (p = *pp) == NULL)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->mu);
		p->quit = 1;
		pthread_mutex_unlock(&p->mu);
		if (write(p->wake[1], "q", 1) == -1) {
			/* full: it wakes up within 100 ms anyway */
		}
		pthread_join(p->th, NULL);
	}
	if (p->lfd != -1)
		close(p->lfd);
	if (p->wake[0] != -1)
		close(p->wake[0]);
	if (p->wake[1] != -1)
		close(p->wake[1]);
	pthread_mutex_destroy(&p->mu);
	free(p->ev);
	free(p);
	*pp = NULL;
}
