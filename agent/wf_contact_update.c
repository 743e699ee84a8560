/*
 * wf_contact_update.c -- ContactUpdate (ops in wf_int.h): a member
 * announces a change of its own contacts with the self-signed directory
 * op that makes it. The op must be the author's own, on the contact the
 * body names, with the change the body says, signed by a signing key of
 * the author valid at the op's time (lsn_dir_contact_op_check, lib/
 * dir_auth.c): the agent sends no other, and quarantines a received one
 * that is not, so no member can show another's contact as changed. The
 * replica itself changes only through the broker's log (replica.c).
 */
#include <stdio.h>

#include "liaison/dir.h"
#include "liaison/err.h"

#include "agent.h"
#include "wf_int.h"

static int
contact_update_step(struct wf_step *st)
{
	Liaison__V1__ContactUpdate	*cu;
	const char			*author;
	char				 why[256];
	int				 rv;

	if ((cu = liaison__v1__contact_update__unpack(NULL, st->len,
	    st->body)) == NULL) {
		snprintf(st->detail, st->detailsz, "body does not unpack");
		return (LSN_EPROTO);
	}
	author = st->sending ? st->a->conf.partner : st->peer;
	rv = lsn_dir_contact_op_check(st->a->dir, cu->signed_dir_op.data,
	    cu->signed_dir_op.len, author, cu->contact_id, cu->change ==
	    LIAISON__V1__CONTACT_CHANGE__CONTACT_REMOVE ?
	    LSN_DIR_CONTACT_REMOVE : LSN_DIR_CONTACT_SET, why, sizeof(why));
	if (rv != LSN_OK)
		snprintf(st->detail, st->detailsz, "contact update of %s: %s",
		    author, why);
	liaison__v1__contact_update__free_unpacked(cu, NULL);
	return (rv);
}

const struct wf_ops wf_contact_update_ops = {
	.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_UPDATE,
	.on_send = contact_update_step,
	.on_receive = contact_update_step,
};
