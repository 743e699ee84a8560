/*
 * test_badinput_files.c -- the bad-input matrix for configuration files
 * and key files (issue 8 item 4): over-long lines, oversized files, NUL and
 * control bytes, bad values of every option type, unknown / duplicate /
 * missing options, syntax errors, bad permissions, non-regular files
 * (a FIFO must not hang the loader), and key files truncated at every
 * offset, with every byte corrupted, with random bytes, mismatched halves,
 * wrong kinds and bad labels. Each is refused with its own code (and for
 * configuration, whose code is always LSN_ECONFIG, its own message).
 * Prints per category how many bad files were tried and refused right.
 */
#include "lsn_tally.h"
#include "lsn_test.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liaison/conf.h"
#include "liaison/keys.h"
#include "liaison/util.h"

enum cat {
	C_CONF_LINES, C_CONF_BYTES, C_CONF_VALUES, C_CONF_SYNTAX,
	C_CONF_PERMS, C_KEY_PERMS, C_KEY_TRUNC, C_KEY_CORRUPT, C_KEY_RANDOM,
	C_KEY_CONTENT, C_N
};

static const char *const catname[C_N] = {
	"config: over-long lines / size", "config: NUL, control bytes",
	"config: bad values", "config: syntax, unknown, duplicate",
	"config: permissions, file type", "key: permissions, file type",
	"key: truncated at every offset", "key: every byte corrupted",
	"key: random bytes", "key: bad content",
};

static struct lsn_tally	tally[C_N];
static long	mismatches;
static char	*dir;

static void
count(int cat, int ok, const char *what, const char *got)
{
	tally[cat].tried++;
	if (ok)
		tally[cat].right++;
	else if (mismatches++ < 30)
		fprintf(stderr, "MISMATCH %s / %s: %s\n", catname[cat], what,
		    got);
}

/* ---- configuration ---- */

struct tconf {
	char		listen[128];
	long long	max_msg;
	uint64_t	quota;
	int		strict;
	long long	retention_ms;
	char		name[16];
	char		db[256];
};

static const struct lsn_conf_opt table[] = {
	{ .section = "broker", .name = "listen", .type = LSN_CONF_ENDPOINT,
	  .def = "tcp://127.0.0.1:7400", LSN_CONF_AT(struct tconf, listen),
	  .help = "listen" },
	{ .section = "broker", .name = "max_msg_bytes", .type = LSN_CONF_INT,
	  .min = 1024, .max = 16777216, .def = "262144",
	  LSN_CONF_AT(struct tconf, max_msg), .help = "max" },
	{ .section = "broker", .name = "queue_quota", .type = LSN_CONF_U64,
	  .min = 1, .max = -1, .def = "1000",
	  LSN_CONF_AT(struct tconf, quota), .help = "quota" },
	{ .section = "broker", .name = "strict", .type = LSN_CONF_BOOL,
	  .def = "yes", LSN_CONF_AT(struct tconf, strict), .help = "strict" },
	{ .section = "broker", .name = "retention", .type = LSN_CONF_DURATION,
	  .min = 1000, .max = 30LL * 86400000, .def = "7d",
	  LSN_CONF_AT(struct tconf, retention_ms), .help = "retention" },
	{ .section = "broker", .name = "name", .type = LSN_CONF_STR,
	  .min = 1, .def = "broker", LSN_CONF_AT(struct tconf, name),
	  .help = "name" },
	{ .section = "store", .name = "path", .type = LSN_CONF_PATH,
	  .required = 1, LSN_CONF_AT(struct tconf, db), .help = "db" },
	LSN_CONF_END,
};

#define GOOD_CONF	"[broker]\nname = b1\n[store]\npath = /var/db/x\n"

static char *
write_file(const char *name, const void *buf, size_t len, mode_t mode)
{
	char	*p = lsn_test_path(dir, name);
	FILE	*fp;

	(void) unlink(p);
	assert_non_null(fp = fopen(p, "w"));
	if (len > 0)
		assert_int_equal(fwrite(buf, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(p, mode), 0);
	return (p);
}

/* Loads text as a 0600 file: must fail with LSN_ECONFIG and a message
 * containing want; dst must stay untouched. */
static void
conf_bad(int cat, const char *what, const char *text, size_t len,
    const char *want)
{
	struct tconf	c;
	char		err[512], *p;
	int		rv;

	memset(&c, 0x5a, sizeof(c));
	p = write_file("bad.conf", text, len, 0600);
	rv = lsn_conf_load_file(p, table, &c, err, sizeof(err));
	free(p);
	if (rv == LSN_ECONFIG && strstr(err, want) != NULL &&
	    ((const unsigned char *) &c)[0] == 0x5a)
		count(cat, 1, what, NULL);
	else {
		char	got[600];

		snprintf(got, sizeof(got), "%s: '%s' (want '%s')",
		    lsn_errname(rv), err, want);
		count(cat, 0, what, got);
	}
}

static void
conf_bad_str(int cat, const char *what, const char *text, const char *want)
{
	conf_bad(cat, what, text, strlen(text), want);
}

/* "[broker]\n<name> = <value>\n[store]\npath = /x\n" must fail. */
static void
conf_bad_value(const char *name, const char *value, const char *want)
{
	char	text[4096], what[128];

	snprintf(text, sizeof(text), "[broker]\n%s = %s\n[store]\npath = "
	    "/var/db/x\n", name, value);
	snprintf(what, sizeof(what), "%s = %.40s", name, value);
	conf_bad_str(C_CONF_VALUES, what, text, want);
}

static int
setup(void **state)
{
	(void) state;
	if (lsn_init() != LSN_OK)
		return (-1);
	dir = lsn_test_tmpdir();
	return (0);
}

static int
teardown(void **state)
{
	(void) state;
	lsn_tally_print("configuration and key files", "refused", catname,
	    tally, C_N);
	lsn_test_rmdir(dir);
	free(dir);
	return (0);
}

static void
test_badinput_conf_good_file_loads(void **state)
{
	struct tconf	c;
	char		err[256], *p;

	(void) state;
	p = write_file("good.conf", GOOD_CONF, strlen(GOOD_CONF), 0600);
	assert_ok(lsn_conf_load_file(p, table, &c, err, sizeof(err)));
	assert_string_equal(c.name, "b1");
	free(p);
}

static void
test_badinput_conf_lines_and_bytes(void **state)
{
	static const size_t lens[] = { LSN_CONF_LINE_MAX + 1, 300, 4096,
				       65536, 1000000 };
	char	*text;
	size_t	 n;

	(void) state;
	/* over-long lines: as a comment, a value, a name, a section */
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		static const char *const pre[] = { "# ", "name = ", "",
						   "[" };

		for (size_t k = 0; k < 4; k++) {
			assert_non_null(text = malloc(lens[i] + 64));
			n = (size_t) snprintf(text, 64, "[broker]\n%s",
			    pre[k]);
			memset(text + n, 'a', lens[i] - strlen(pre[k]));
			n += lens[i] - strlen(pre[k]);
			text[n++] = '\n';
			conf_bad(C_CONF_LINES, "long line", text, n,
			    "line longer than");
			free(text);
		}
	}
	/* a file over LSN_CONF_FILE_MAX of short lines */
	n = LSN_CONF_FILE_MAX + 2;
	assert_non_null(text = malloc(n));
	for (size_t i = 0; i < n; i++)
		text[i] = i % 40 == 39 ? '\n' : '#';
	conf_bad(C_CONF_LINES, "file over 1 MiB", text, n, "larger than");
	free(text);
	/* NUL and every control byte other than tab, in a value and in a
	 * comment; a CR not before LF */
	for (int c = 0; c < 0x20; c++) {
		char	t[128];
		int	m;

		if (c == '\t' || c == '\n')
			continue;
		m = snprintf(t, sizeof(t), "[broker]\nname = a%cb\n[store]\n"
		    "path = /x\n", c == 0 ? '@' : c);
		if (c == 0)
			t[strchr(t, '@') - t] = '\0';
		conf_bad(C_CONF_BYTES, "control byte", t, (size_t) m,
		    c == 0 ? "NUL byte" : "control character");
		if (c == '\r')
			continue;	/* CR before LF is a line end */
		m = snprintf(t, sizeof(t), "# comment %c\n" GOOD_CONF,
		    c == 0 ? '@' : c);
		if (c == 0)
			t[strchr(t, '@') - t] = '\0';
		conf_bad(C_CONF_BYTES, "control byte in comment", t,
		    (size_t) m, c == 0 ? "NUL byte" : "control character");
	}
	conf_bad_str(C_CONF_BYTES, "DEL", "[broker]\nname = a\x7f\n",
	    "control character 0x7f");
}

static void
test_badinput_conf_values(void **state)
{
	static const char *const utf8[] = { "\xff", "a\xc0\xaf", "\xed\xa0\x80",
					    "\xf4\x90\x80\x80", "\xe2\x82",
					    "\xc2\x80" };
	char	 ipc[256];

	(void) state;
	/* integers */
	conf_bad_value("max_msg_bytes", "1023", "must be between");
	conf_bad_value("max_msg_bytes", "16777217", "must be between");
	conf_bad_value("max_msg_bytes", "-1", "must be between");
	conf_bad_value("max_msg_bytes", "99999999999999999999999",
	    "must be between");
	conf_bad_value("max_msg_bytes", "0x1000", "is not a number");
	conf_bad_value("max_msg_bytes", "12k", "is not a number");
	conf_bad_value("max_msg_bytes", "1e6", "is not a number");
	conf_bad_value("max_msg_bytes", "", "is not a number");
	conf_bad_value("max_msg_bytes", "4096 4096", "is not a number");
	conf_bad_value("queue_quota", "0", "must be between");
	conf_bad_value("queue_quota", "-5", "is not a number");
	conf_bad_value("queue_quota", "18446744073709551616",
	    "must be between");
	conf_bad_value("queue_quota", "abc", "is not a number");
	/* booleans */
	conf_bad_value("strict", "maybe", "must be yes or no");
	conf_bad_value("strict", "2", "must be yes or no");
	conf_bad_value("strict", "", "must be yes or no");
	conf_bad_value("strict", "yess", "must be yes or no");
	/* durations */
	conf_bad_value("retention", "5x", "is not a duration");
	conf_bad_value("retention", "-1s", "is not a duration");
	conf_bad_value("retention", "s", "is not a duration");
	conf_bad_value("retention", "1.5h", "is not a duration");
	conf_bad_value("retention", "99999999999999999999d",
	    "is not a duration");
	conf_bad_value("retention", "9999999999999d", "is not a duration");
	conf_bad_value("retention", "999ms", "must be between");
	conf_bad_value("retention", "31d", "must be between");
	/* endpoints */
	conf_bad_value("listen", "tcp://host", "is not a valid endpoint");
	conf_bad_value("listen", "tcp://h:0", "is not a valid endpoint");
	conf_bad_value("listen", "tcp://h:65536", "is not a valid endpoint");
	conf_bad_value("listen", "tcp://:80", "is not a valid endpoint");
	conf_bad_value("listen", "udp://h:1", "is not a valid endpoint");
	conf_bad_value("listen", "ipc://", "is not a valid endpoint");
	conf_bad_value("listen", "tcp://h:-1", "is not a valid endpoint");
	memset(ipc, 'p', sizeof(ipc));
	memcpy(ipc, "ipc://", 6);
	ipc[6 + LSN_CONF_IPC_MAX + 1] = '\0';
	conf_bad_value("listen", ipc, "is not a valid endpoint");
	/* strings: too long for the destination, empty, invalid UTF-8 */
	conf_bad_value("name", "0123456789abcdef", "is too long");
	conf_bad_value("name", "", "must not be empty");
	for (size_t i = 0; i < sizeof(utf8) / sizeof(utf8[0]); i++)
		conf_bad_value("name", utf8[i], "is not valid UTF-8");
	conf_bad_str(C_CONF_VALUES, "empty path", "[store]\npath =\n",
	    "must not be empty");
}

static void
test_badinput_conf_syntax(void **state)
{
	(void) state;
	conf_bad_str(C_CONF_SYNTAX, "unknown option",
	    "[broker]\nno_such = 1\n[store]\npath = /x\n",
	    "unknown option 'no_such' in section [broker]");
	conf_bad_str(C_CONF_SYNTAX, "unknown section",
	    "[brokr]\nname = x\n[store]\npath = /x\n",
	    "unknown section [brokr]");
	conf_bad_str(C_CONF_SYNTAX, "option outside a section",
	    "name = x\n[store]\npath = /x\n", "outside a [section]");
	conf_bad_str(C_CONF_SYNTAX, "duplicate",
	    "[broker]\nname = a\nname = b\n[store]\npath = /x\n",
	    "duplicate option 'name'");
	conf_bad_str(C_CONF_SYNTAX, "duplicate across sections",
	    "[store]\npath = /x\n[broker]\nname = a\n[store]\npath = /y\n",
	    "duplicate option 'path'");
	conf_bad_str(C_CONF_SYNTAX, "missing required", "[broker]\nname = "
	    "a\n", "missing required option");
	conf_bad_str(C_CONF_SYNTAX, "empty file", "", "missing required "
	    "option");
	conf_bad_str(C_CONF_SYNTAX, "no equals sign",
	    "[broker]\nname\n[store]\npath = /x\n", "syntax error");
	conf_bad_str(C_CONF_SYNTAX, "unterminated section",
	    "[broker\nname = a\n", "syntax error");
	conf_bad_str(C_CONF_SYNTAX, "name case", "[broker]\nNAME = a\n"
	    "[store]\npath = /x\n", "unknown option 'NAME'");
	conf_bad_str(C_CONF_SYNTAX, "UTF-8 option name",
	    "[broker]\nn\xc3\xa4me = a\n[store]\npath = /x\n",
	    "unknown option");
	conf_bad_str(C_CONF_SYNTAX, "garbage name",
	    "[broker]\n\xff\xfe = a\n[store]\npath = /x\n",
	    "unknown option '?" "?'");
}

static void
test_badinput_conf_permissions_and_types(void **state)
{
	static const mode_t modes[] = { 0620, 0602, 0622, 0666, 0777, 0660 };
	struct tconf	 c;
	char		 err[512], *p;
	int		 rv;

	(void) state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		p = write_file("perm.conf", GOOD_CONF, strlen(GOOD_CONF),
		    modes[i]);
		rv = lsn_conf_load_file(p, table, &c, err, sizeof(err));
		count(C_CONF_PERMS, rv == LSN_ECONFIG &&
		    strstr(err, "writable by group or others") != NULL,
		    "mode", err);
		free(p);
	}
	/* missing, a directory, a FIFO (must not block), /dev/null */
	p = lsn_test_path(dir, "missing.conf");
	rv = lsn_conf_load_file(p, table, &c, err, sizeof(err));
	count(C_CONF_PERMS, rv == LSN_ECONFIG && strstr(err, "no such file") !=
	    NULL, "missing", err);
	free(p);
	p = lsn_test_path(dir, "adir");
	assert_int_equal(mkdir(p, 0700), 0);
	rv = lsn_conf_load_file(p, table, &c, err, sizeof(err));
	count(C_CONF_PERMS, rv == LSN_ECONFIG && strstr(err,
	    "not a readable regular file") != NULL, "directory", err);
	free(p);
	p = lsn_test_path(dir, "fifo.conf");
	assert_int_equal(mkfifo(p, 0600), 0);
	rv = lsn_conf_load_file(p, table, &c, err, sizeof(err));
	count(C_CONF_PERMS, rv == LSN_ECONFIG && strstr(err,
	    "not a readable regular file") != NULL, "fifo", err);
	free(p);
	rv = lsn_conf_load_file("/dev/null", table, &c, err, sizeof(err));
	count(C_CONF_PERMS, rv == LSN_ECONFIG, "/dev/null", err);
}

/* ---- key files ---- */

static char	*sec_path, *pub_path;
static char	*sec_text;
static size_t	 sec_len;

/* Loads buf as a secret key file (0600) and as a public key file:
 * both must fail with want. */
static void
key_bad(int cat, const char *what, const void *buf, size_t len, int want,
    int also_public)
{
	struct lsn_keypair	*kp = NULL;
	enum lsn_key_kind	 kind;
	uint8_t			 pk[LSN_PK_BYTES];
	char			*p, got[128];
	int			 rv;

	p = write_file("bad.key", buf, len, 0600);
	rv = lsn_keypair_load(p, &kp);
	snprintf(got, sizeof(got), "secret load: %s", lsn_errname(rv));
	count(cat, rv == want && kp == NULL, what, got);
	lsn_keypair_destroy(&kp);
	if (also_public) {
		rv = lsn_pubkey_load(p, &kind, pk, NULL);
		snprintf(got, sizeof(got), "public load: %s",
		    lsn_errname(rv));
		count(cat, rv == want, what, got);
	}
	free(p);
}

static void
test_badinput_keys_setup(void **state)
{
	struct lsn_keypair	*kp = NULL;
	uint8_t			*buf = NULL;

	(void) state;
	assert_ok(lsn_keypair_generate(LSN_KEY_SIGN, "p01", &kp));
	sec_path = lsn_test_path(dir, "p01.key");
	pub_path = lsn_test_path(dir, "p01.pub");
	assert_ok(lsn_keypair_save(kp, sec_path, pub_path));
	lsn_keypair_destroy(&kp);
	assert_ok(lsn_file_read(sec_path, 4096, &buf, &sec_len));
	sec_text = (char *) buf;
	assert_ok(lsn_keypair_load(sec_path, &kp));
	lsn_keypair_destroy(&kp);
}

static void
test_badinput_keys_permissions_and_types(void **state)
{
	static const mode_t modes[] = { 0640, 0604, 0644, 0660, 0606, 0610,
					 0601, 0666, 0777 };
	struct lsn_keypair	*kp = NULL;
	enum lsn_key_kind	 kind;
	uint8_t			 pk[LSN_PK_BYTES];
	char			*p;
	int			 rv;

	(void) state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		p = write_file("perm.key", sec_text, sec_len, modes[i]);
		rv = lsn_keypair_load(p, &kp);
		count(C_KEY_PERMS, rv == LSN_EFILEPERM && kp == NULL, "mode",
		    lsn_errname(rv));
		lsn_keypair_destroy(&kp);
		free(p);
	}
	p = lsn_test_path(dir, "missing.key");
	rv = lsn_keypair_load(p, &kp);
	count(C_KEY_PERMS, rv == LSN_ENOENT, "missing", lsn_errname(rv));
	rv = lsn_pubkey_load(p, &kind, pk, NULL);
	count(C_KEY_PERMS, rv == LSN_ENOENT, "missing public",
	    lsn_errname(rv));
	free(p);
	p = lsn_test_path(dir, "kdir");
	assert_int_equal(mkdir(p, 0700), 0);
	rv = lsn_keypair_load(p, &kp);
	count(C_KEY_PERMS, rv == LSN_EIO, "directory", lsn_errname(rv));
	rv = lsn_pubkey_load(p, &kind, pk, NULL);
	count(C_KEY_PERMS, rv == LSN_EIO, "directory public",
	    lsn_errname(rv));
	free(p);
	p = lsn_test_path(dir, "fifo.key");
	assert_int_equal(mkfifo(p, 0600), 0);
	rv = lsn_keypair_load(p, &kp);
	count(C_KEY_PERMS, rv == LSN_EIO, "fifo", lsn_errname(rv));
	rv = lsn_pubkey_load(p, &kind, pk, NULL);
	count(C_KEY_PERMS, rv == LSN_EIO, "fifo public", lsn_errname(rv));
	free(p);
	rv = lsn_pubkey_load("/dev/zero", &kind, pk, NULL);
	count(C_KEY_PERMS, rv == LSN_EIO, "/dev/zero", lsn_errname(rv));
	/* the public file (0644) is no secret key file */
	rv = lsn_keypair_load(pub_path, &kp);
	count(C_KEY_PERMS, rv == LSN_EFILEPERM, "public file as secret",
	    lsn_errname(rv));
	(void) chmod(pub_path, 0600);
	rv = lsn_keypair_load(pub_path, &kp);
	count(C_KEY_PERMS, rv == LSN_EKEYFORMAT, "public file as secret 0600",
	    lsn_errname(rv));
	(void) chmod(pub_path, 0644);
}

static void
test_badinput_keys_truncated_every_offset(void **state)
{
	char	 what[64];
	size_t	 publen;
	char	*pubtext = NULL;

	(void) state;
	/* the public part ends after the "public" line */
	assert_non_null(pubtext = strstr(sec_text, "secret "));
	publen = (size_t) (pubtext - sec_text);
	for (size_t off = 0; off < sec_len; off++) {
		snprintf(what, sizeof(what), "cut at %zu/%zu", off, sec_len);
		/* cut right after the public line: a valid public file */
		key_bad(C_KEY_TRUNC, what, sec_text, off, LSN_EKEYFORMAT,
		    off != publen);
	}
}

static void
test_badinput_keys_every_byte_corrupted(void **state)
{
	char	*c;
	char	 what[64];

	(void) state;
	assert_non_null(c = malloc(sec_len));
	for (size_t i = 0; i < sec_len; i++) {
		memcpy(c, sec_text, sec_len);
		c[i] = (char) (c[i] ^ 0x80);	/* never printable ASCII */
		snprintf(what, sizeof(what), "byte %zu ^ 0x80", i);
		key_bad(C_KEY_CORRUPT, what, c, sec_len, LSN_EKEYFORMAT, 1);
		/* a hex digit changed to another hex digit in the public
		 * key or the secret: the halves no longer match */
		memcpy(c, sec_text, sec_len);
		if (i > 0 && c[i - 1] != '\n' && i > (size_t) (strstr(
		    sec_text, "public ") - sec_text) + 7 && c[i] != '\n' &&
		    c[i] != ' ' && (c[i] >= '0' && c[i] <= '9')) {
			c[i] = c[i] == '9' ? '0' : (char) (c[i] + 1);
			snprintf(what, sizeof(what), "hex digit %zu", i);
			key_bad(C_KEY_CORRUPT, what, c, sec_len,
			    LSN_EKEYFORMAT, 1);
		}
	}
	free(c);
}

static void
test_badinput_keys_random_bytes(void **state)
{
	uint8_t	buf[5000];

	(void) state;
	for (int i = 0; i < 300; i++) {
		size_t	n = 1 + (size_t) (i * 17) % sizeof(buf);

		lsn_random(buf, n);
		if (i % 3 == 0 && n > 15)
			memcpy(buf, "liaison-key v1\n", 15);
		key_bad(C_KEY_RANDOM, "random", buf, n, LSN_EKEYFORMAT, 1);
	}
}

/* Replaces the first occurrence of from in the key text by to. */
static void
key_bad_subst(const char *what, const char *from, const char *to, int want)
{
	char	buf[8192], *p;
	size_t	fl = strlen(from), tl = strlen(to), off;

	assert_non_null(p = strstr(sec_text, from));
	off = (size_t) (p - sec_text);
	assert_true(sec_len - fl + tl < sizeof(buf));
	memcpy(buf, sec_text, off);
	memcpy(buf + off, to, tl);
	memcpy(buf + off + tl, p + fl, sec_len - off - fl);
	key_bad(C_KEY_CONTENT, what, buf, sec_len - fl + tl, want, 1);
}

static void
test_badinput_keys_bad_content(void **state)
{
	struct lsn_keypair	*kp = NULL, *other = NULL;
	char			 buf[8192], *p;
	size_t			 n;

	(void) state;
	/* labels that are not slugs, invalid UTF-8 */
	key_bad_subst("label upper", "label p01", "label P01", LSN_EKEYFORMAT);
	key_bad_subst("label utf8", "label p01", "label p\xc3\xa4" "01",
	    LSN_EKEYFORMAT);
	key_bad_subst("label bad utf8", "label p01", "label p\xff",
	    LSN_EKEYFORMAT);
	key_bad_subst("label empty", "label p01", "label ", LSN_EKEYFORMAT);
	key_bad_subst("label space", "label p01", "label p01 x",
	    LSN_EKEYFORMAT);
	key_bad_subst("kind", "kind sign", "kind signing", LSN_EKEYFORMAT);
	key_bad_subst("kind encrypt", "kind sign", "kind encrypt",
	    LSN_EKEYFORMAT);
	key_bad_subst("magic", "liaison-key v1", "liaison-key v2",
	    LSN_EKEYFORMAT);
	key_bad_subst("CRLF", "\n", "\r\n", LSN_EKEYFORMAT);
	key_bad_subst("two spaces", "kind sign", "kind  sign",
	    LSN_EKEYFORMAT);
	key_bad_subst("tab", "kind sign", "kind\tsign", LSN_EKEYFORMAT);
	key_bad_subst("key-id", "key-id ", "key-id 0", LSN_EKEYFORMAT);
	key_bad_subst("keyword case", "public ", "Public ", LSN_EKEYFORMAT);
	/* upper-case hex in the public key */
	p = strstr(sec_text, "public ") + 7;
	memcpy(buf, sec_text, sec_len);
	for (size_t i = (size_t) (p - sec_text); buf[i] != '\n'; i++)
		if (buf[i] >= 'a' && buf[i] <= 'f')
			buf[i] = (char) (buf[i] - 'a' + 'A');
	key_bad(C_KEY_CONTENT, "upper-case hex", buf, sec_len, LSN_EKEYFORMAT,
	    1);
	/* trailing garbage, a second secret line, a NUL, a missing final
	 * newline, the lines swapped */
	memcpy(buf, sec_text, sec_len);
	memcpy(buf + sec_len, "extra\n", 6);
	key_bad(C_KEY_CONTENT, "trailing line", buf, sec_len + 6,
	    LSN_EKEYFORMAT, 1);
	p = strstr(sec_text, "secret ");
	n = sec_len - (size_t) (p - sec_text);
	memcpy(buf, sec_text, sec_len);
	memcpy(buf + sec_len, p, n);
	key_bad(C_KEY_CONTENT, "two secret lines", buf, sec_len + n,
	    LSN_EKEYFORMAT, 1);
	memcpy(buf, sec_text, sec_len);
	buf[20] = '\0';
	key_bad(C_KEY_CONTENT, "NUL", buf, sec_len, LSN_EKEYFORMAT, 1);
	key_bad(C_KEY_CONTENT, "no final newline", sec_text, sec_len - 1,
	    LSN_EKEYFORMAT, 1);
	{
		char	*l1 = strstr(sec_text, "kind "), *l2 = strstr(sec_text,
			    "label "), *l3 = strstr(sec_text, "key-id ");

		n = 0;
		memcpy(buf, sec_text, (size_t) (l1 - sec_text));
		n = (size_t) (l1 - sec_text);
		memcpy(buf + n, l2, (size_t) (l3 - l2));
		n += (size_t) (l3 - l2);
		memcpy(buf + n, l1, (size_t) (l2 - l1));
		n += (size_t) (l2 - l1);
		memcpy(buf + n, l3, sec_len - (size_t) (l3 - sec_text));
		n += sec_len - (size_t) (l3 - sec_text);
		key_bad(C_KEY_CONTENT, "lines swapped", buf, n,
		    LSN_EKEYFORMAT, 1);
	}
	/* over 4 KiB: a long comment-like tail */
	memcpy(buf, sec_text, sec_len);
	memset(buf + sec_len, '#', 4200);
	key_bad(C_KEY_CONTENT, "over 4 KiB", buf, sec_len + 4200,
	    LSN_EKEYFORMAT, 1);
	/* the secret of another key with this public key */
	assert_ok(lsn_keypair_generate(LSN_KEY_SIGN, "p01", &other));
	p = write_file("other.key", "", 0, 0600);
	assert_ok(lsn_keypair_save(other, p, NULL));
	{
		uint8_t	*ob = NULL;
		size_t	 ol = 0;
		char	*os, *ms;

		assert_ok(lsn_file_read(p, 4096, &ob, &ol));
		os = strstr((char *) ob, "secret ");
		ms = strstr(sec_text, "secret ");
		n = (size_t) (ms - sec_text);
		memcpy(buf, sec_text, n);
		memcpy(buf + n, os, ol - (size_t) (os - (char *) ob));
		n += ol - (size_t) (os - (char *) ob);
		key_bad(C_KEY_CONTENT, "secret of another key", buf, n,
		    LSN_EKEYFORMAT, 1);
		free(ob);
	}
	free(p);
	lsn_keypair_destroy(&other);
	/* a transport key file whose secret is cut to 31 bytes, and an
	 * encrypt key declared as sign */
	assert_ok(lsn_keypair_generate(LSN_KEY_ENCRYPT, "p01", &kp));
	p = write_file("enc.key", "", 0, 0600);
	assert_ok(lsn_keypair_save(kp, p, NULL));
	lsn_keypair_destroy(&kp);
	{
		uint8_t	*eb = NULL;
		size_t	 el = 0;
		char	*ek;

		assert_ok(lsn_file_read(p, 4096, &eb, &el));
		memcpy(buf, eb, el);
		ek = strstr(buf, "kind encrypt");
		memcpy(ek, "kind sign   ", 12);
		key_bad(C_KEY_CONTENT, "encrypt declared sign", buf, el,
		    LSN_EKEYFORMAT, 1);
		memcpy(buf, eb, el);
		buf[el - 3] = '\n';	/* secret one byte short */
		key_bad(C_KEY_CONTENT, "secret 31 bytes", buf, el - 2,
		    LSN_EKEYFORMAT, 1);
		free(eb);
	}
	free(p);
}

static void
test_badinput_files_all_refused(void **state)
{
	long	tried, right;

	(void) state;
	/* every category was exercised */
	assert_int_equal(lsn_tally_sum(tally, C_N, &tried, &right), 0);
	assert_int_equal(mismatches, 0);
	assert_int_equal(tried, right);
	free(sec_text);
	free(sec_path);
	free(pub_path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_badinput_conf_good_file_loads),
		cmocka_unit_test(test_badinput_conf_lines_and_bytes),
		cmocka_unit_test(test_badinput_conf_values),
		cmocka_unit_test(test_badinput_conf_syntax),
		cmocka_unit_test(test_badinput_conf_permissions_and_types),
		cmocka_unit_test(test_badinput_keys_setup),
		cmocka_unit_test(test_badinput_keys_permissions_and_types),
		cmocka_unit_test(test_badinput_keys_truncated_every_offset),
		cmocka_unit_test(test_badinput_keys_every_byte_corrupted),
		cmocka_unit_test(test_badinput_keys_random_bytes),
		cmocka_unit_test(test_badinput_keys_bad_content),
		cmocka_unit_test(test_badinput_files_all_refused),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
