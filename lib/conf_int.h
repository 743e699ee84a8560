/*
 * conf_int.h -- internals shared by conf.c (the INI reader and its line
 * guard), conf_opt.c (the typed option table) and conf_print.c (dump and
 * example file); not part of the library's interface. Nothing here
 * allocates: the caller owns every buffer it passes.
 */
#ifndef LIAISON_CONF_INT_H
#define LIAISON_CONF_INT_H

#include <stddef.h>

#include "liaison/conf.h"
#include "liaison/log.h"

#define CONF_MSG_MAX	256	/* a message about one option or line */

/* conf_opt.c */
void	conf_msgf(char *msg, size_t msglen, const char *fmt, ...)
	    LSN_PRINTF(3, 4);
/* Formats ms with the largest unit that divides it exactly. */
void	conf_duration_fmt(long long ms, char *buf, size_t len);
/* Parses v for option o into base + o->offset; LSN_ECONFIG with msg. */
int	conf_opt_parse(const struct lsn_conf_opt *o, const char *v,
	    unsigned char *base, char *msg, size_t msglen);
/* Checks a table; *np options, *extentp bytes of scratch to cover them. */
int	conf_table_check(const struct lsn_conf_opt *t, size_t *np,
	    size_t *extentp, char *msg, size_t msglen);
/* Zeroes every field of base and parses the defaults into it. */
int	conf_apply_defaults(const struct lsn_conf_opt *t, size_t n,
	    unsigned char *base, char *msg, size_t msglen);
/* Copies every field of the table from base to dst. */
void	conf_copy_out(const struct lsn_conf_opt *t, size_t n,
	    const unsigned char *base, void *dst);

#endif
