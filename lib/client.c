/* client.c -- client of the liaison-agent local API (see client.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zmq.h>

#include "liaison/client.h"
#include "liaison/conf.h"
#include "liaison/util.h"

struct lsn_client {
	void		*ctx;
	void		*sock;
	uint64_t	 next_id;
	char		 ep[LSN_CLIENT_EP_MAX];
};

int
lsn_client_open(const char *endpoint, struct lsn_client **out)
{
	struct lsn_client	*c;
	struct stat		 sb;
	int64_t			 maxsz = LSN_CLIENT_RESP_MAX;
	int			 zero = 0, rv;

	if (endpoint == NULL || !lsn_conf_endpoint_valid(endpoint) ||
	    strlen(endpoint) >= LSN_CLIENT_EP_MAX)
		return (LSN_EINVAL);
	if (strncmp(endpoint, "ipc://", 6) == 0 &&
	    stat(endpoint + 6, &sb) != 0)
		return (LSN_ECLOSED);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (LSN_ENOMEM);
	lsn_strlcpy(c->ep, endpoint, sizeof(c->ep));
	lsn_random(&c->next_id, sizeof(c->next_id));
	c->next_id &= 0xffffffffffffULL;
	rv = LSN_EINTERNAL;
	if ((c->ctx = zmq_ctx_new()) == NULL)
		goto out;
	if ((c->sock = zmq_socket(c->ctx, ZMQ_DEALER)) == NULL)
		goto out;
	if (zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxsz,
	    sizeof(maxsz)) != 0)
		goto out;
	if (zmq_connect(c->sock, endpoint) != 0) {
		rv = LSN_EINVAL;
		goto out;
	}
	*out = c;
	c = NULL;
	rv = LSN_OK;
 out:
	lsn_client_close(&c);
	return (rv);
}

void
lsn_client_close(struct lsn_client **cp)
{
	struct lsn_client	*c;

	if (cp == NULL || (c = *cp) == NULL)
		return;
	if (c->sock != NULL)
		zmq_close(c->sock);
	if (c->ctx != NULL)
		zmq_ctx_term(c->ctx);
	free(c);
	*cp = NULL;
}

void
lsn_client_response_free(Liaison__V1__ApiResponse **rp)
{
	if (rp == NULL || *rp == NULL)
		return;
	liaison__v1__api_response__free_unpacked(*rp, NULL);
	*rp = NULL;
}

/* Receives one message [""][payload]; *msg initialised by the caller. */
static int
recv_one(struct lsn_client *c, int timeout_ms, zmq_msg_t *msg)
{
	zmq_pollitem_t	pi = { c->sock, -1, ZMQ_POLLIN, 0 };
	zmq_msg_t	part;
	int		n, more, got = 0;

	n = zmq_poll(&pi, 1, timeout_ms);
	if (n < 0)
		return (errno == EINTR ? LSN_ETIMEDOUT : LSN_EIO);
	if (n == 0)
		return (LSN_ETIMEDOUT);
	/* frames: optional empty delimiter, then the payload */
	do {
		zmq_msg_init(&part);
		if (zmq_msg_recv(&part, c->sock, 0) < 0) {
			zmq_msg_close(&part);
			return (LSN_EIO);
		}
		more = zmq_msg_more(&part);
		if (zmq_msg_size(&part) > 0 || !more) {
			zmq_msg_close(msg);
			zmq_msg_init(msg);
			zmq_msg_move(msg, &part);
			got = 1;
		}
		zmq_msg_close(&part);
	} while (more);
	return (got ? LSN_OK : LSN_EPROTO);
}

int
lsn_client_call(struct lsn_client *c, Liaison__V1__ApiRequest *req,
    int timeout_ms, Liaison__V1__ApiResponse **respp)
{
	Liaison__V1__ApiResponse	*r;
	zmq_msg_t			 msg;
	uint8_t				*buf;
	uint64_t			 id, deadline, now;
	size_t				 len;
	int				 rv;

	if (c == NULL || req == NULL || respp == NULL || timeout_ms < 0)
		return (LSN_EINVAL);
	id = ++c->next_id;
	req->has_request_id = 1;
	req->request_id = id;
	len = liaison__v1__api_request__get_packed_size(req);
	if (len > LSN_CLIENT_REQ_MAX)
		return (LSN_ETOOBIG);
	if ((buf = malloc(len ? len : 1)) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__api_request__pack(req, buf);
	/* The empty delimiter makes us look like a REQ socket. */
	if (zmq_send(c->sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(c->sock, buf, len, ZMQ_DONTWAIT) < 0) {
		rv = errno == EAGAIN ? LSN_ETIMEDOUT : LSN_EIO;
		free(buf);
		return (rv);
	}
	free(buf);
	deadline = lsn_mono_ms() + (uint64_t) timeout_ms;
	for (;;) {
		now = lsn_mono_ms();
		if (now >= deadline && timeout_ms > 0)
			return (LSN_ETIMEDOUT);
		zmq_msg_init(&msg);
		rv = recv_one(c, (int) (deadline > now ? deadline - now : 0),
		    &msg);
		if (rv != LSN_OK) {
			zmq_msg_close(&msg);
			return (rv);
		}
		r = liaison__v1__api_response__unpack(NULL,
		    zmq_msg_size(&msg), zmq_msg_data(&msg));
		zmq_msg_close(&msg);
		if (r == NULL)
			return (LSN_EPROTO);
		if (r->has_request_id && r->request_id == id) {
			*respp = r;
			return (LSN_OK);
		}
		/* a late answer to an earlier, timed-out call */
		liaison__v1__api_response__free_unpacked(r, NULL);
		if (timeout_ms == 0)
			return (LSN_ETIMEDOUT);
	}
}

/* Value of "name = value" if line is that option; NULL otherwise. */
static const char *
opt_value(const char *line, const char *name)
{
	size_t	n = strlen(name);

	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, name, n) != 0)
		return (NULL);
	line += n;
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line != '=')
		return (NULL);
	line++;
	while (*line == ' ' || *line == '\t')
		line++;
	return (line);
}

static void
copy_value(const char *v, char *out, size_t outsz)
{
	size_t	n = 0;

	while (v[n] != '\0' && v[n] != '\r' && v[n] != '\n' &&
	    !(v[n] == ';' && n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')))
		n++;
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

int
lsn_client_endpoint_from_conf(const char *conf_path, char *out,
    size_t outsz)
{
	uint8_t		*buf = NULL;
	size_t		 len;
	char		 api[512] = "", db[512] = "", *line, *save = NULL;
	const char	*v, *slash;
	int		 in_agent = 0, rv, n;

	if ((rv = lsn_file_read(conf_path, LSN_CONF_FILE_MAX, &buf, &len)) !=
	    LSN_OK)
		return (rv);
	for (line = strtok_r((char *) buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		const char *l = line;

		while (*l == ' ' || *l == '\t')
			l++;
		if (*l == '[') {
			in_agent = strncmp(l, "[agent]", 7) == 0;
			continue;
		}
		if (!in_agent)
			continue;
		if ((v = opt_value(l, "api")) != NULL)
			copy_value(v, api, sizeof(api));
		else if ((v = opt_value(l, "db")) != NULL)
			copy_value(v, db, sizeof(db));
	}
	free(buf);
	if (api[0] != '\0') {
		if (lsn_strlcpy(out, api, outsz) >= outsz)
			return (LSN_ETOOBIG);
		return (LSN_OK);
	}
	if (db[0] == '\0')
		return (LSN_ECONFIG);
	if ((slash = strrchr(db, '/')) == NULL)
		n = snprintf(out, outsz, "ipc://./api.sock");
	else if (slash == db)
		n = snprintf(out, outsz, "ipc:///api.sock");
	else
		n = snprintf(out, outsz, "ipc://%.*s/api.sock",
		    (int) (slash - db), db);
	if (n < 0 || (size_t) n >= outsz ||
	    (size_t) n - 6 > LSN_CONF_IPC_MAX)
		return (LSN_ETOOBIG);
	return (LSN_OK);
}
