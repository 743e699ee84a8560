/*
 * web.c -- the agent's read-only directory page ("/" on http_listen).
 *
 * Rendered by the main loop (ametrics_tick) from the replica and the
 * tracking tables; served by the HTTP thread from a snapshot. Plain HTML
 * and one stylesheet (/style.css): no JavaScript, no forms, no links that
 * change state. Every value from the directory or the database goes
 * through put_esc (HTML-escaped: & < > " ' and control bytes), because a
 * partner name is text an administrator typed and another one signed,
 * not markup. No message body is shown: tracked items appear with ids,
 * peers, states and deadlines, and their summary line only when the
 * message is marked at or below [agent] summary_max_tlp (summary.c).
 *
 * The replica's verification state is read directly (a->halted and the
 * "dir_halted" reason), not through the directory queries, so a halted
 * replica's page still shows what it holds, under a warning.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/util.h"
#include "liaison/workflow.h"

#include "agent.h"
#include "astore.h"

const char web_css[] =
    "body{font-family:sans-serif;margin:1.5em;color:#111;background:#fff}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;"
    "border-bottom:1px solid #999}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #bbb;padding:.2em .5em;text-align:left;"
    "vertical-align:top;font-size:.9em}th{background:#eee}"
    "code{font-size:.85em;word-break:break-all}"
    ".warn{background:#fdd;border:2px solid #b00;padding:.6em;"
    "font-weight:bold}"
    ".stale{background:#fec;color:#850;font-weight:bold}"
    ".ok{color:#060;font-weight:bold}.bad{color:#b00;font-weight:bold}"
    ".muted{color:#666}\n";

#define DIR_UNREADABLE	"<tr><td class=\"bad\">cannot read the directory"\
	"</td></tr>\n"

struct page {
	char	*p;
	size_t	 len, cap;
	int	 failed;
};

static void
put(struct page *w, const char *s, size_t n)
{
	char	*np;
	size_t	 cap;

	if (w->failed)
		return;
	if (n > SIZE_MAX / 2 - w->len) {
		w->failed = 1;
		return;
	}
	if (w->len + n + 1 > w->cap) {
		cap = w->cap ? w->cap : 8192;
		while (cap < w->len + n + 1)
			cap *= 2;
		if ((np = realloc(w->p, cap)) == NULL) {
			w->failed = 1;
			return;
		}
		w->p = np;
		w->cap = cap;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
	w->p[w->len] = '\0';
}

/* Literal markup only (never a value). */
static void
lit(struct page *w, const char *s)
{
	put(w, s, strlen(s));
}

/* A value: escaped. NULL prints as nothing. */
static void
put_esc(struct page *w, const char *s)
{
	const char	*r;

	if (s == NULL)
		return;
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': r = "&amp;"; break;
		case '<': r = "&lt;"; break;
		case '>': r = "&gt;"; break;
		case '"': r = "&quot;"; break;
		case '\'': r = "&#39;"; break;
		default:
			if ((unsigned char) *s < 0x20 || *s == 0x7f)
				r = "?";
			else
				r = NULL;
		}
		if (r != NULL)
			lit(w, r);
		else
			put(w, s, 1);
	}
}

/* A formatted value (numbers, dates): escaped as well. */
static void
fmt(struct page *w, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void
fmt(struct page *w, const char *f, ...)
{
	char	buf[512];
	va_list	ap;

	va_start(ap, f);
	(void) vsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	put_esc(w, buf);
}

static void
put_time(struct page *w, uint64_t ms)
{
	struct tm	tm;
	time_t		t;
	char		buf[64];

	if (ms == 0) {
		lit(w, "<span class=\"muted\">never</span>");
		return;
	}
	t = (time_t) (ms / 1000);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm) == 0)
		lsn_strlcpy(buf, "?", sizeof(buf));
	put_esc(w, buf);
}

static void
td(struct page *w, const char *s)
{
	lit(w, "<td>");
	put_esc(w, s);
	lit(w, "</td>");
}

static const char *
kind_name(int k)
{
	static const char *const n[] = { "?", "law enforcement",
	    "international organisation", "hotline", "NGO",
	    "private sector", "government" };

	return (k >= 0 && k <= 6 ? n[k] : "?");
}

static const char *
status_name(int s)
{
	return (s == 1 ? "active" : s == 2 ? "suspended" : s == 3 ?
	    "revoked" : "?");
}

static const char *
purpose_name(int p)
{
	return (p == 1 ? "sign" : p == 2 ? "encrypt" : p == 3 ? "transport" :
	    "?");
}

struct walk {
	struct agent	*a;
	struct page	*w;
	uint64_t	 now;
	size_t		 n;
};

static int
contacts_of(void *arg, const Liaison__V1__Partner *p)
{
	struct walk	*x = arg;
	struct page	*w = x->w;

	for (size_t i = 0; i < p->n_contacts; i++) {
		const Liaison__V1__Contact *c = p->contacts[i];
		int stale = lsn_contact_stale(c->verified_at_ms, c->updated_ms,
		    x->now, (uint64_t) x->a->conf.contact_max_age_ms);

		if (!c->is_24x7)
			continue;
		lit(w, stale ? "<tr class=\"stale\">" : "<tr>");
		td(w, p->id);
		td(w, c->name);
		td(w, c->role);
		td(w, c->phone);
		td(w, c->email);
		td(w, c->time_zone);
		lit(w, "<td>");
		put_time(w, c->verified_at_ms);
		lit(w, "</td><td>");
		put_time(w, c->updated_ms);
		lit(w, stale ? "</td><td>STALE: confirm this contact</td>" :
		    "</td><td>current</td>");
		lit(w, "</tr>\n");
		x->n++;
	}
	return (0);
}

static int
partner_row(void *arg, const Liaison__V1__Partner *p)
{
	struct walk	*x = arg;
	struct page	*w = x->w;
	char		 hex[2 * LSN_PK_BYTES + 1];

	lit(w, "<tr>");
	td(w, p->id);
	lit(w, "<td>");
	if (p->names != NULL) {
		put_esc(w, p->names->official);
		if (p->names->short_name != NULL) {
			lit(w, " (");
			put_esc(w, p->names->short_name);
			lit(w, ")");
		}
	}
	lit(w, "</td>");
	td(w, kind_name((int) p->kind));
	td(w, p->country);
	td(w, status_name((int) p->status));
	lit(w, "<td>");
	for (size_t i = 0; i < p->n_groups; i++) {
		if (i)
			lit(w, ", ");
		put_esc(w, p->groups[i]);
	}
	lit(w, "</td><td><table>");
	for (size_t i = 0; i < p->n_keys; i++) {
		const Liaison__V1__KeyRecord *k = p->keys[i];

		lit(w, "<tr><td>");
		put_esc(w, purpose_name((int) k->purpose));
		lit(w, "</td><td><code>");
		put_esc(w, k->key_id);
		lit(w, "</code>");
		if (k->public_key.len == LSN_PK_BYTES) {
			lsn_hex_encode(k->public_key.data, LSN_PK_BYTES, hex);
			lit(w, "<br><code class=\"muted\">");
			put_esc(w, hex);
			lit(w, "</code>");
		}
		lit(w, "</td><td>from ");
		put_time(w, k->valid_from_ms);
		lit(w, "<br>until ");
		if (k->valid_until_ms == 0)
			lit(w, "open-ended");
		else
			put_time(w, k->valid_until_ms);
		if (k->revoked_at_ms != 0) {
			lit(w, "<br><span class=\"bad\">revoked ");
			put_time(w, k->revoked_at_ms);
			lit(w, "</span>");
		}
		lit(w, "</td></tr>");
	}
	lit(w, "</table></td></tr>\n");
	x->n++;
	return (0);
}

static int
group_row(void *arg, const char *name)
{
	struct walk		*x = arg;
	Liaison__V1__Group	*g = NULL;

	if (lsn_dir_group_get(x->a->dir, name, &g) != LSN_OK)
		return (0);
	lit(x->w, "<tr>");
	td(x->w, g->name);
	td(x->w, g->description);
	lit(x->w, "<td>");
	for (size_t i = 0; i < g->n_members; i++) {
		if (i)
			lit(x->w, ", ");
		put_esc(x->w, g->members[i]);
	}
	lit(x->w, "</td></tr>\n");
	lsn_dir_group_free(&g);
	x->n++;
	return (0);
}

static void
section_replica(struct agent *a, struct page *w)
{
	char		reason[AGENT_DETAIL_MAX] = "";
	uint8_t		hash[LSN_DIR_HASH_BYTES];
	char		hex[2 * LSN_DIR_HASH_BYTES + 1];
	uint64_t	rev = 0;

	if (a->halted) {
		(void) agent_state_get(a, "dir_halted", reason,
		    sizeof(reason));
		lit(w, "<div class=\"warn\" id=\"halted\">Directory replica "
		    "HALTED: it does not verify (");
		put_esc(w, reason);
		lit(w, "). It takes no more updates; what is shown below is "
		    "the last verified state and may be out of date. Check "
		    "with the task force administrators before relying on "
		    "it.</div>\n");
	}
	if (lsn_dir_head(a->dir, &rev, hash) != LSN_OK)
		memset(hash, 0, sizeof(hash));
	lsn_hex_encode(hash, sizeof(hash), hex);
	lit(w, "<h2>Replica</h2><table id=\"replica\"><tr><th>Revision</th>"
	    "<td id=\"rev\">");
	fmt(w, "%llu", (unsigned long long) rev);
	lit(w, "</td></tr><tr><th>Head hash</th><td><code>");
	put_esc(w, hex);
	lit(w, "</code></td></tr><tr><th>Verifies</th><td id=\"verifies\">");
	lit(w, a->halted ? "<span class=\"bad\">no (halted)</span>" :
	    "<span class=\"ok\">yes</span>");
	lit(w, "</td></tr><tr><th>Last checkpoint</th><td>");
	put_time(w, a->cp_time_ms);
	lit(w, "</td></tr><tr><th>Broker</th><td>");
	lit(w, a->connected ? "connected" : "<span class=\"bad\">not "
	    "connected</span>");
	lit(w, "</td></tr></table>\n");
}

struct section_ctx {
	struct agent	*a;
	struct page	*w;
	uint64_t	 now;
};

/* One row of the open items' table. */
static int
tracked_row(void *arg, const struct astore_track_row *t)
{
	struct section_ctx	*x = arg;
	struct page		*w = x->w;
	char			 hex[2 * LSN_BODY_ID_BYTES + 1], sum[512];
	uint64_t		 dl = (uint64_t) t->deadline;
	int			 over = t->acked_ms == 0 && dl < x->now;

	lsn_hex_encode(t->item_id, LSN_BODY_ID_BYTES, hex);
	lit(w, over ? "<tr class=\"stale\">" : "<tr>");
	td(w, t->kind);
	lit(w, "<td><code>");
	put_esc(w, hex);
	lit(w, "</code></td>");
	td(w, t->peer);
	td(w, t->role);
	td(w, strcmp(t->kind, "alert") == 0 ? "open" :
	    lsn_referral_state_name(t->state));
	lit(w, "<td>");
	fmt(w, "P%d", t->priority);
	lit(w, "</td><td>");
	put_time(w, dl);
	lit(w, over ? " OVERDUE</td><td>" : "</td><td>");
	if (t->msgid != NULL && item_summary(x->a, t->msgid, sum,
	    sizeof(sum)) == LSN_OK)
		put_esc(w, sum);
	else
		lit(w, "<span class=\"muted\">withheld (marking)</span>");
	lit(w, "</td></tr>\n");
	return (0);
}

/* Open referrals and unacknowledged alerts (tracking), overdue marked. */
static void
section_tracked(struct agent *a, struct page *w, uint64_t now)
{
	struct section_ctx	x = { a, w, now };

	lit(w, "<h2>Open referrals and alerts</h2><table id=\"tracked\">"
	    "<tr><th>Kind</th><th>Id</th><th>Partner</th><th>Our role</th>"
	    "<th>State</th><th>Priority</th><th>Ack deadline</th>"
	    "<th>Summary</th></tr>\n");
	if (astore_track_open(a, tracked_row, &x) != LSN_OK) {
		/* the rows shown so far stay: a read-only page */
	}
	lit(w, "</table>\n");
}

/* One row of the meetings' table. */
static int
meeting_row(void *arg, const struct astore_meeting_row *m)
{
	struct section_ctx	*x = arg;
	struct page		*w = x->w;
	char			 hex[2 * LSN_BODY_ID_BYTES + 1];

	lsn_hex_encode(m->meeting_id, LSN_BODY_ID_BYTES, hex);
	lit(w, "<tr><td><code>");
	put_esc(w, hex);
	lit(w, "</code></td>");
	td(w, m->organiser);
	td(w, m->role);
	lit(w, "<td>");
	put_time(w, (uint64_t) m->start_ms);
	lit(w, "</td><td>");
	fmt(w, "%d", m->version);
	lit(w, "</td></tr>\n");
	return (0);
}

/* Meetings not cancelled that start at or after now. */
static void
section_meetings(struct agent *a, struct page *w, uint64_t now)
{
	struct section_ctx	x = { a, w, now };

	lit(w, "<h2>Upcoming meetings</h2><table id=\"meetings\">"
	    "<tr><th>Id</th><th>Organiser</th><th>Our role</th><th>Starts"
	    "</th><th>Version</th></tr>\n");
	if (astore_meetings_upcoming(a, (int64_t) (now > INT64_MAX ?
	    INT64_MAX : now), meeting_row, &x) != LSN_OK) {
		/* the rows shown so far stay: a read-only page */
	}
	lit(w, "</table>\n");
}

int
web_render(struct agent *a, char **out, size_t *len)
{
	struct page	w;
	struct walk	x;
	uint64_t	now = agent_now(a);

	memset(&w, 0, sizeof(w));
	memset(&x, 0, sizeof(x));
	x.a = a;
	x.w = &w;
	x.now = now;
	lit(&w, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\""
	    "utf-8\"><meta name=\"referrer\" content=\"no-referrer\"><title>"
	    "Liaison directory: ");
	put_esc(&w, a->conf.partner);
	lit(&w, "</title><link rel=\"stylesheet\" href=\"/style.css\">"
	    "</head><body>\n<h1>Liaison directory</h1><p>Agent of <b>");
	put_esc(&w, a->conf.partner);
	lit(&w, "</b>. Page made ");
	put_time(&w, now);
	lit(&w, ". Read-only; no message bodies are shown.</p>\n");
	section_replica(a, &w);
	lit(&w, "<h2>24/7 contacts</h2><table id=\"contacts\"><tr><th>"
	    "Partner</th><th>Name</th><th>Role</th><th>Phone</th><th>Email"
	    "</th><th>Time zone</th><th>Last verified</th><th>Updated</th>"
	    "<th>Status</th></tr>\n");
	if (lsn_dir_list(a->dir, NULL, contacts_of, &x) != LSN_OK)
		lit(&w, DIR_UNREADABLE);
	lit(&w, "</table>\n<h2>Partners</h2><table id=\"partners\"><tr><th>"
	    "Id</th><th>Name</th><th>Kind</th><th>Country</th><th>Status"
	    "</th><th>Groups</th><th>Keys (id, fingerprint, validity)</th>"
	    "</tr>\n");
	if (lsn_dir_list(a->dir, NULL, partner_row, &x) != LSN_OK)
		lit(&w, DIR_UNREADABLE);
	lit(&w, "</table>\n<h2>Groups</h2><table id=\"groups\"><tr><th>Name"
	    "</th><th>Description</th><th>Members</th></tr>\n");
	if (lsn_dir_groups(a->dir, group_row, &x) != LSN_OK)
		lit(&w, DIR_UNREADABLE);
	lit(&w, "</table>\n");
	section_tracked(a, &w, now);
	section_meetings(a, &w, now);
	lit(&w, "</body></html>\n");
	if (w.failed) {
		free(w.p);
		return (LSN_ENOMEM);
	}
	*out = w.p;
	*len = w.len;
	return (LSN_OK);
}
