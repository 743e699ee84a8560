/*
 * peeruid.c -- the owner (uid) of the other end of a loopback TCP
 * connection, from the kernel's socket table (NETLINK_SOCK_DIAG,
 * inet_diag, an exact lookup by the 4-tuple seen from the peer). This is
 * what lets the agent's HTTP page keep the local API's rule: the agent's
 * user, root, or a member of one configured group.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "liaison/http.h"

int
lsn_tcp_peer_uid(int fd, uid_t *uid)
{
	struct sockaddr_storage	 me, peer;
	socklen_t		 ml = sizeof(me), pl = sizeof(peer);
	struct {
		struct nlmsghdr		nh;
		struct inet_diag_req_v2	r;
	} req;
	union {
		struct nlmsghdr	nh;
		char		buf[8192];
	} ans;
	struct sockaddr_nl	 nl;
	struct nlmsghdr		*h;
	struct inet_diag_msg	*m;
	ssize_t			 n;
	int			 s, rv = LSN_ENOENT;

	if (getsockname(fd, (struct sockaddr *) &me, &ml) == -1 ||
	    getpeername(fd, (struct sockaddr *) &peer, &pl) == -1 ||
	    me.ss_family != peer.ss_family ||
	    (me.ss_family != AF_INET && me.ss_family != AF_INET6))
		return (LSN_EINVAL);
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = (uint8_t) me.ss_family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0U;
	/* the peer's socket: its source is our destination */
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (me.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *) &peer;
		struct sockaddr_in *b = (struct sockaddr_in *) &me;

		req.r.id.idiag_sport = a->sin_port;
		req.r.id.idiag_dport = b->sin_port;
		memcpy(req.r.id.idiag_src, &a->sin_addr, 4);
		memcpy(req.r.id.idiag_dst, &b->sin_addr, 4);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *) &peer;
		struct sockaddr_in6 *b = (struct sockaddr_in6 *) &me;

		req.r.id.idiag_sport = a->sin6_port;
		req.r.id.idiag_dport = b->sin6_port;
		memcpy(req.r.id.idiag_src, &a->sin6_addr, 16);
		memcpy(req.r.id.idiag_dst, &b->sin6_addr, 16);
	}
	if ((s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1)
		return (LSN_EIO);
	memset(&nl, 0, sizeof(nl));
	nl.nl_family = AF_NETLINK;
	if (sendto(s, &req, sizeof(req), 0, (struct sockaddr *) &nl,
	    sizeof(nl)) != (ssize_t) sizeof(req)) {
		rv = LSN_EIO;
		goto out;
	}
	if ((n = recv(s, ans.buf, sizeof(ans.buf), 0)) <= 0) {
		rv = LSN_EIO;
		goto out;
	}
	for (h = &ans.nh; NLMSG_OK(h, (size_t) n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE)
			break;
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
			continue;
		m = NLMSG_DATA(h);
		*uid = (uid_t) m->idiag_uid;
		rv = LSN_OK;
		break;
	}
 out:
	close(s);
	return (rv);
}
