/*
 * client.h -- a small C client for the liaison-agent local API.
 *
 * The agent listens on a ZeroMQ ROUTER (ipc://<db dir>/api.sock by
 * default, or tcp://127.0.0.1:PORT). A client sends one serialized
 * ApiRequest (proto/api.proto) and receives one ApiResponse carrying an
 * error code (ErrorCode numbers = -lsn_err) and a detail text.
 *
 *	struct lsn_client *c;
 *	Liaison__V1__ApiRequest req = LIAISON__V1__API_REQUEST__INIT;
 *	Liaison__V1__StatusRequest sr = LIAISON__V1__STATUS_REQUEST__INIT;
 *	Liaison__V1__ApiResponse *resp;
 *
 *	req.kind_case = LIAISON__V1__API_REQUEST__KIND_STATUS;
 *	req.status = &sr;
 *	if (lsn_client_open("ipc:///var/lib/liaison/api.sock", &c) == LSN_OK &&
 *	    lsn_client_call(c, &req, 5000, &resp) == LSN_OK) {
 *		... resp->code, resp->status ...
 *		lsn_client_response_free(&resp);
 *	}
 *	lsn_client_close(&c);
 *
 * A client owns its own ZeroMQ context and DEALER socket; it is used by one
 * thread at a time. Calls are sequential: responses to earlier calls that
 * timed out are recognised by request_id and discarded.
 */
#ifndef LIAISON_CLIENT_H
#define LIAISON_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "api.pb-c.h"

#include "liaison/err.h"

#define LSN_CLIENT_EP_MAX	256
#define LSN_CLIENT_RESP_MAX	(16 * 1024 * 1024)	/* bytes accepted */
#define LSN_CLIENT_REQ_MAX	(512 * 1024)		/* bytes sent */

struct lsn_client;

/*
 * Connects to the agent API endpoint (copied). For ipc:// endpoints the
 * socket file must exist (LSN_ECLOSED otherwise: no agent running).
 * LSN_EINVAL for a malformed endpoint, LSN_EINTERNAL for zmq failures.
 * *out is owned by the caller (lsn_client_close).
 */
int	lsn_client_open(const char *endpoint, struct lsn_client **out)
	    LSN_MUST_CHECK LSN_API;

/* Closes the socket and context; accepts NULL; sets *cp = NULL. */
void	lsn_client_close(struct lsn_client **cp) LSN_API;

/*
 * Sends req (borrowed; its request_id is set by this call) and waits up to
 * timeout_ms for the matching response. On LSN_OK *respp is a new response
 * the caller frees with lsn_client_response_free(); the agent's verdict is
 * in (*respp)->code. Errors: LSN_ETIMEDOUT (no answer: agent unreachable
 * or busy), LSN_ETOOBIG (request over LSN_CLIENT_REQ_MAX), LSN_EPROTO
 * (unparseable response), LSN_ENOMEM, LSN_EIO.
 */
int	lsn_client_call(struct lsn_client *c, Liaison__V1__ApiRequest *req,
	    int timeout_ms, Liaison__V1__ApiResponse **respp)
	    LSN_MUST_CHECK LSN_API;

/* Frees a response; accepts NULL; sets *rp = NULL. */
void	lsn_client_response_free(Liaison__V1__ApiResponse **rp) LSN_API;

/*
 * Finds the API endpoint of an agent from its configuration file: the
 * [agent] api option, else ipc://<directory of [agent] db>/api.sock, the
 * same rule as the agent's (a relative db path stays relative, as the
 * agent sees it from its working directory). Reads only these two
 * options; the file is at most 1 MiB. Writes out (outsz bytes) on success.
 * LSN_ENOENT (no such file), LSN_ECONFIG (neither option found),
 * LSN_ETOOBIG (endpoint longer than outsz or the ipc limit).
 */
int	lsn_client_endpoint_from_conf(const char *conf_path, char *out,
	    size_t outsz) LSN_MUST_CHECK LSN_API;

#endif /* LIAISON_CLIENT_H */
