/* http_raw.c -- raw HTTP for tests (see http_raw.h). */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "liaison/util.h"

#include "http_raw.h"

int
http_addr_wait(const char *path, char *buf, size_t bufsz, int timeout_ms)
{
	uint64_t	until = lsn_mono_ms() + (uint64_t) timeout_ms;
	FILE		*fp;

	do {
		if ((fp = fopen(path, "r")) != NULL) {
			if (fgets(buf, (int) bufsz, fp) != NULL) {
				fclose(fp);
				buf[strcspn(buf, "\r\n")] = '\0';
				if (buf[0] != '\0')
					return (0);
			} else
				fclose(fp);
		}
		usleep(20000);
	} while (lsn_mono_ms() < until);
	return (-1);
}

int
http_connect(const char *hostport)
{
	struct sockaddr_in	sin;
	char			host[64];
	const char		*colon = strrchr(hostport, ':');
	int			fd;

	if (colon == NULL || (size_t) (colon - hostport) >= sizeof(host))
		return (-1);
	memcpy(host, hostport, (size_t) (colon - hostport));
	host[colon - hostport] = '\0';
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t) atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return (-1);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *) &sin, sizeof(sin)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

int
http_raw(const char *hostport, const char *req, size_t len, char *resp,
    size_t respsz, int timeout_ms)
{
	uint64_t	until = lsn_mono_ms() + (uint64_t) timeout_ms;
	struct pollfd	pfd;
	size_t		got = 0, off = 0;
	ssize_t		n;
	int		fd, status = 0;

	resp[0] = '\0';
	if ((fd = http_connect(hostport)) == -1)
		return (-1);
	while (off < len) {
		n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;	/* the server may refuse before reading all */
		off += (size_t) n;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (got + 1 < respsz && lsn_mono_ms() < until) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = recv(fd, resp + got, respsz - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t) n;
		resp[got] = '\0';
	}
	close(fd);
	if (strncmp(resp, "HTTP/1.", 7) == 0 && strlen(resp) >= 12)
		status = atoi(resp + 9);
	return (status);
}

int
http_get(const char *hostport, const char *path, char *resp, size_t respsz)
{
	char	req[1024];
	int	n;

	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "Connection: close\r\n\r\n", path, hostport);
	if (n < 0 || (size_t) n >= sizeof(req))
		return (-1);
	return (http_raw(hostport, req, (size_t) n, resp, respsz, 20000));
}
