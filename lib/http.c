/*
 * http.c -- the read-only HTTP listener (libmicrohttpd) shared by
 * /metrics and the agent's directory page. Policy in include/liaison/http.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "liaison/http.h"
#include "liaison/util.h"

struct lsn_http {
	struct MHD_Daemon	*d;
	lsn_http_fn		*fn;
	lsn_http_allow_fn	*allow;
	void			*arg;
	uint16_t		 port;
	char			 host[LSN_HTTP_LISTEN_MAX];
	int			 v6;
};

/* Parsed listen address. */
struct hostport {
	struct sockaddr_storage	ss;
	char			host[LSN_HTTP_LISTEN_MAX];
	int			v6;
};

static int
parse_listen(const char *listen, struct hostport *hp)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *) &hp->ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *) &hp->ss;
	const char		*colon, *p;
	char			 host[LSN_HTTP_LISTEN_MAX];
	long			 port = 0;
	size_t			 hl;

	memset(hp, 0, sizeof(*hp));
	if (listen == NULL || strlen(listen) >= LSN_HTTP_LISTEN_MAX ||
	    (colon = strrchr(listen, ':')) == NULL || colon[1] == '\0' ||
	    strlen(colon + 1) > 5)
		return (LSN_EINVAL);
	for (p = colon + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return (LSN_EINVAL);
		port = port * 10 + (*p - '0');
	}
	if (port > 65535)
		return (LSN_EINVAL);
	hl = (size_t) (colon - listen);
	if (hl >= 2 && listen[0] == '[' && listen[hl - 1] == ']') {
		memcpy(host, listen + 1, hl - 2);
		host[hl - 2] = '\0';
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return (LSN_EINVAL);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t) port);
		hp->v6 = 1;
	} else {
		if (hl == 0 || hl >= sizeof(host))
			return (LSN_EINVAL);
		memcpy(host, listen, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return (LSN_EINVAL);
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t) port);
	}
	lsn_strlcpy(hp->host, host, sizeof(hp->host));
	return (LSN_OK);
}

int
lsn_http_listen_valid(const char *listen, int loopback_only)
{
	struct hostport	hp;

	if (parse_listen(listen, &hp) != LSN_OK)
		return (LSN_EINVAL);
	if (!loopback_only)
		return (LSN_OK);
	if (hp.v6)
		return (IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)
		    &hp.ss)->sin6_addr) ? LSN_OK : LSN_EINVAL);
	return ((ntohl(((struct sockaddr_in *) &hp.ss)->sin_addr.s_addr) >>
	    24) == 127 ? LSN_OK : LSN_EINVAL);
}

static void
add_headers(struct MHD_Response *resp, const char *ctype)
{
	MHD_add_response_header(resp, "Content-Type", ctype);
	MHD_add_response_header(resp, "Content-Security-Policy",
	    "default-src 'none'; style-src 'self'; img-src 'none'; "
	    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy",
	    "same-origin");
}

/* Queues a short text answer (errors). */
static enum MHD_Result
answer_text(struct MHD_Connection *c, unsigned status, const char *text,
    int allow)
{
	struct MHD_Response	*resp;
	enum MHD_Result		 rv;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)
	    (uintptr_t) text, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return (MHD_NO);
	add_headers(resp, LSN_HTTP_TEXT);
	if (allow)
		MHD_add_response_header(resp, "Allow", "GET, HEAD");
	if (status >= 400)
		MHD_add_response_header(resp, "Connection", "close");
	rv = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return (rv);
}

/*
 * Every decision is made on the first call for a request (headers read):
 * a request with a body is refused before the body is read.
 */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct lsn_http		*h = cls;
	struct lsn_http_reply	 r;
	struct MHD_Response	*resp;
	const char		*cl, *te;
	enum MHD_Result		 rv;

	(void) version;
	(void) upload_data;
	if (*con_cls != NULL) {
		/* a body arrived although we answered: discard it */
		*upload_data_size = 0;
		return (MHD_YES);
	}
	*con_cls = h;
	if (h->allow != NULL) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);

		if (ci == NULL || !h->allow(h->arg, ci->connect_fd))
			return (answer_text(c, MHD_HTTP_FORBIDDEN,
			    "forbidden\n", 0));
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return (answer_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed\n", 1));
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	te = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_TRANSFER_ENCODING);
	if ((cl != NULL && strcmp(cl, "0") != 0) || te != NULL)
		return (answer_text(c, MHD_HTTP_CONTENT_TOO_LARGE,
		    "request body not accepted\n", 0));
	if (url == NULL || strlen(url) > LSN_HTTP_URL_MAX)
		return (answer_text(c, MHD_HTTP_URI_TOO_LONG,
		    "request target too long\n", 0));
	memset(&r, 0, sizeof(r));
	if (h->fn(h->arg, url, &r) != LSN_OK) {
		free(r.body);
		return (answer_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "internal error\n", 0));
	}
	resp = MHD_create_response_from_buffer(r.len, r.body,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(r.body);
		return (MHD_NO);
	}
	add_headers(resp, r.ctype != NULL ? r.ctype : LSN_HTTP_TEXT);
	rv = MHD_queue_response(c, (unsigned) r.status, resp);
	MHD_destroy_response(resp);
	return (rv);
}

int
lsn_http_open(const char *listen, lsn_http_fn *fn, lsn_http_allow_fn *allow,
    void *arg, struct lsn_http **out)
{
	struct lsn_http		*h;
	struct hostport		 hp;
	const union MHD_DaemonInfo *di;
	unsigned		 flags;

	if (parse_listen(listen, &hp) != LSN_OK)
		return (LSN_EINVAL);
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return (LSN_ENOMEM);
	h->fn = fn;
	h->allow = allow;
	h->arg = arg;
	h->v6 = hp.v6;
	lsn_strlcpy(h->host, hp.host, sizeof(h->host));
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
	if (hp.v6)
		flags |= MHD_USE_IPv6;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &hp.ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned) LSN_HTTP_CONN_MAX,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned) LSN_HTTP_PER_IP_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) LSN_HTTP_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) LSN_HTTP_MEM_BYTES,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		free(h);
		return (LSN_EIO);
	}
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di != NULL ? di->port : 0;
	*out = h;
	return (LSN_OK);
}

uint16_t
lsn_http_port(const struct lsn_http *h)
{
	return (h->port);
}

int
lsn_http_write_addr(const struct lsn_http *h, const char *path)
{
	char	 tmp[1024];
	FILE	*fp;
	int	 n, rv = LSN_OK;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t) n >= sizeof(tmp))
		return (LSN_ETOOBIG);
	if ((fp = fopen(tmp, "w")) == NULL)
		return (LSN_EIO);
	if (fprintf(fp, h->v6 ? "[%s]:%u\n" : "%s:%u\n", h->host,
	    (unsigned) h->port) < 0)
		rv = LSN_EIO;
	if (fclose(fp) != 0)
		rv = LSN_EIO;
	if (rv == LSN_OK && rename(tmp, path) != 0)
		rv = LSN_EIO;
	if (rv != LSN_OK)
		(void) unlink(tmp);
	return (rv);
}

void
lsn_http_close(struct lsn_http **hp)
{
	if (hp == NULL || *hp == NULL)
		return;
	MHD_stop_daemon((*hp)->d);
	free(*hp);
	*hp = NULL;
}
