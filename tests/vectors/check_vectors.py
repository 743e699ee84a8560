#!/usr/bin/env python3
"""Independent checker of the Liaison protocol test vectors.

Recomputes every vector in docs/vectors/*.json from the rules written in
docs/protocol.md, using only python3-nacl (libsodium), python3-protobuf
(classes generated from proto/ by protoc into a temporary directory) and
hashlib. It imports no project code: if the C library and the document
drift apart, either this checker or the C checks (test_vectors,
vectors_generated) fail.

Usage: check_vectors.py VECTORS_DIR PROTO_DIR
"""
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import nacl.bindings as nb
import nacl.exceptions
import nacl.public
import nacl.signing

FAILS = []
CHECKS = [0]


def check(cond, what):
    CHECKS[0] += 1
    if not cond:
        FAILS.append(what)
        print("FAIL:", what)


def b2b(data, key=b""):
    """BLAKE2b-256 (libsodium crypto_generichash, 32-byte output)."""
    return hashlib.blake2b(data, digest_size=32, key=key).digest()


def u64be(x):
    return x.to_bytes(8, "big")


def lp(b):
    """Length-prefixed bytes: u64be(len) || bytes (protocol.md 7)."""
    if isinstance(b, str):
        b = b.encode()
    return u64be(len(b)) + b


def key_id(pk):
    return b2b(pk)[:8].hex()


# ---- protobuf classes, generated at test time ----

def load_protos(proto_dir):
    out = tempfile.mkdtemp(prefix="lsn-vec-")
    files = sorted(f for f in os.listdir(proto_dir) if f.endswith(".proto"))
    subprocess.run(["protoc", "-I", proto_dir, "--python_out", out] +
                   [os.path.join(proto_dir, f) for f in files], check=True)
    sys.path.insert(0, out)
    mods = [importlib.import_module(f[:-6] + "_pb2") for f in files]
    classes = {}
    for m in mods:
        for name, d in m.DESCRIPTOR.message_types_by_name.items():
            collect(classes, getattr(m, name))
    return out, classes


def collect(classes, cls):
    classes[cls.DESCRIPTOR.full_name] = cls
    for nested in cls.DESCRIPTOR.nested_types:
        collect(classes, getattr(cls, nested.name))


def conv(fd, v):
    if fd.type == fd.TYPE_BYTES:
        return bytes.fromhex(v)
    if fd.type == fd.TYPE_ENUM:
        return fd.enum_type.values_by_name[v].number if isinstance(v, str) \
            else v
    return v


def fill(msg, fields, where):
    for name, v in fields.items():
        fd = msg.DESCRIPTOR.fields_by_name.get(name)
        if fd is None:
            check(False, "%s: no field %s in %s" %
                  (where, name, msg.DESCRIPTOR.full_name))
            continue
        if fd.label == fd.LABEL_REPEATED:
            for item in v:
                if fd.type == fd.TYPE_MESSAGE:
                    fill(getattr(msg, name).add(), item, where)
                else:
                    getattr(msg, name).append(conv(fd, item))
        elif fd.type == fd.TYPE_MESSAGE:
            sub = getattr(msg, name)
            sub.SetInParent()
            fill(sub, v, where)
        else:
            setattr(msg, name, conv(fd, v))


class Vectors:
    def __init__(self, vdir, classes):
        self.classes = classes
        self.v = {}
        for f in ("keys", "envelopes", "directory", "api"):
            with open(os.path.join(vdir, f + ".json")) as fh:
                self.v[f] = json.load(fh)
        self.keys = {}
        for k in self.v["keys"]["keys"]:
            self.keys[k["seed_name"]] = k

    def msg(self, vec, where):
        """Builds the message from its fields with python-protobuf and
        checks that its encoding is the vector's bytes; returns it."""
        cls = self.classes[vec["message"]]
        m = cls()
        fill(m, vec["fields"], where)
        raw = bytes.fromhex(vec["bytes"])
        check(m.SerializeToString() == raw,
              "%s: %s encodes differently" % (where, vec["message"]))
        back = cls()
        back.ParseFromString(raw)
        check(back == m, "%s: %s does not parse back" %
              (where, vec["message"]))
        return m, raw

    def seed(self, name):
        return bytes.fromhex(self.keys[name]["seed"])

    def sign_key(self, label):
        return nacl.signing.SigningKey(self.seed(label + "/sign"))

    def sign_pk(self, label):
        return bytes(self.sign_key(label).verify_key)

    def enc_sk(self, label):
        return nacl.public.PrivateKey(self.seed(label + "/encrypt"))

    def by_key_id(self, kid):
        for k in self.keys.values():
            if k["key_id"] == kid:
                return k
        return None


# ---- section 3: key ids ----

def check_keys(V):
    # protocol.md section 3: RFC 8032 TEST 1 public key
    pk = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a"
                       "0ee172f3daa62325af021a68f707511a")
    check(key_id(pk) == "7849ac3049680be1", "key id of RFC 8032 TEST 1")
    for name, k in V.keys.items():
        seed = bytes.fromhex(k["seed"])
        check(b2b(name.encode()) == seed, "seed of " + name)
        if k["kind"] == "sign":
            pk = bytes(nacl.signing.SigningKey(seed).verify_key)
        else:
            pk = bytes(nacl.public.PrivateKey(seed).public_key)
        check(pk.hex() == k["public"], "public key of " + name)
        check(key_id(pk) == k["key_id"], "key id of " + name)
        # key files (protocol.md section 3)
        pub = ("liaison-key v1\nkind %s\nlabel %s\nkey-id %s\npublic %s\n"
               % (k["kind"], k["label"], key_id(pk), pk.hex()))
        sec = seed + pk if k["kind"] == "sign" else seed
        check(k["public_file"] == pub, "public key file of " + name)
        check(k["secret_file"] == pub + "secret %s\n" % sec.hex(),
              "secret key file of " + name)


# ---- sections 2, 4, 8, 9, 10: envelopes ----

ENV_PREFIX = b"liaison/envelope/v1\x00"
RCPT_PREFIX = b"liaison/receipt/v1\x00"
DIROP_PREFIX = b"liaison/dirop/v1\x00"
CP_PREFIX = b"liaison/checkpoint/v1\x00"
SEAL_AD_PREFIX = b"liaison/seal/v1\x00"
COMMIT_PREFIX = b"liaison/seal-commit/v1\x00"
BATCH_PREFIX = b"liaison/envelope-batch/v1\x00"
LEAF_PREFIX = b"liaison/batch-leaf/v1\x00"
NODE_PREFIX = b"liaison/batch-node/v1\x00"


def check_signed_envelope(V, e, where):
    env, eb = V.msg(e["envelope"], where + ".envelope")
    se, seb = V.msg(e["signed_envelope"], where + ".signed_envelope")
    sk = V.sign_key(e["signer_key"])
    check(bytes.fromhex(e["signing_input"]) == ENV_PREFIX + eb,
          where + ": signing input")
    sig = sk.sign(ENV_PREFIX + eb).signature
    check(sig.hex() == e["signature"], where + ": signature")
    check(se.envelope == eb and se.signature == sig,
          where + ": SignedEnvelope carries envelope and signature")
    check(se.signer == env.sender and se.key_id == env.sender_key_id,
          where + ": hints equal the signed sender and key id")
    check(env.sender_key_id == key_id(bytes(sk.verify_key)),
          where + ": sender_key_id is the signing key's id")
    check(b2b(eb).hex() == e["envelope_hash"], where + ": envelope hash")
    check(env.version == 1 and len(env.message_id) == 16,
          where + ": version and message id")
    return env, eb, seb


def check_sealed(V, e, env, where):
    sb, _ = V.msg(e["sealed"], where + ".sealed")
    check(env.sealed == sb, where + ": Envelope.sealed is the SealedBody")
    check(not env.HasField("body"), where + ": no plain body")
    sender = env.sender.encode()
    ad = (SEAL_AD_PREFIX + env.message_id + bytes([len(sender)]) + sender +
          env.type.to_bytes(4, "big"))
    check(ad.hex() == e["associated_data"], where + ": associated data")
    ck = bytes.fromhex(e["content_key"])
    for k in sb.keys:
        sk = V.enc_sk(k.partner)
        check(k.key_id == key_id(bytes(sk.public_key)),
              where + ": SealedKey.key_id of " + k.partner)
        check(len(k.sealed_key) == 80, where + ": sealed key length")
        opened = nacl.public.SealedBox(sk).decrypt(k.sealed_key)
        check(opened == ck, where + ": content key for " + k.partner)
    check(b2b(COMMIT_PREFIX + sb.nonce, key=ck) == sb.key_commitment,
          where + ": key commitment")
    pt = nb.crypto_aead_xchacha20poly1305_ietf_decrypt(
        sb.ciphertext, ad, sb.nonce, ck)
    check(pt.hex() == e["body"]["bytes"], where + ": sealed plaintext")
    ct = nb.crypto_aead_xchacha20poly1305_ietf_encrypt(pt, ad, sb.nonce, ck)
    check(ct == sb.ciphertext, where + ": ciphertext")


def check_envelopes(V):
    ev = V.v["envelopes"]
    by = {}
    for e in ev["envelopes"]:
        where = e["name"]
        env, eb, seb = check_signed_envelope(V, e, where)
        by[where] = (env, eb, seb)
        body, braw = V.msg(e["body"], where + ".body")
        if env.HasField("sealed"):
            check_sealed(V, e, env, where)
            check(env.handling.tlp >= 3, where + ": sealed at AMBER+")
        else:
            check(env.body == braw, where + ": Envelope.body")
            check(env.handling.tlp in (1, 2), where + ": plain at GREEN")
        e["_body"] = body
    bodies = {e["name"]: e["_body"] for e in ev["envelopes"]}
    # the linked referral of a redirect (protocol.md section 10)
    rd = ev["redirect_id"]
    rid = bytes.fromhex(rd["referral_id"])
    check(rid == bodies["referral_amber_sealed"].referral_id,
          "redirect: the vector's referral")
    check(b2b(b"liaison/redirect/v1\x00" + rid +
              rd["redirect_to"].encode())[:16].hex() == rd["redirected_id"],
          "redirect: linked referral id")
    # how answers bind to what they answer (protocol.md section 12)
    ref, acc = by["referral_amber_sealed"][0], by["referral_accept"][0]
    check(acc.in_reply_to == ref.message_id, "accept: in_reply_to")
    check(bodies["referral_accept"].referral_id ==
          bodies["referral_amber_sealed"].referral_id, "accept: referral_id")
    no, rs = by["meeting_notice"][0], by["meeting_rsvp"][0]
    check(rs.in_reply_to == no.message_id, "rsvp: in_reply_to")
    check(bodies["meeting_rsvp"].meeting_id ==
          bodies["meeting_notice"].meeting_id and
          bodies["meeting_rsvp"].version == bodies["meeting_notice"].version,
          "rsvp: meeting_id and version")
    check(bodies["alert_ack"].alert_id == bodies["alert"].alert_id,
          "alert_ack: alert_id")
    # forward: the original SignedEnvelope bytes, unchanged (section 9)
    fw = by["forward"][0]
    check(fw.forwarded == by["note_green"][2], "forward: inner bytes")
    inner = V.classes["liaison.v1.SignedEnvelope"]()
    inner.ParseFromString(fw.forwarded)
    nacl.signing.VerifyKey(V.sign_pk(inner.signer)).verify(
        ENV_PREFIX + inner.envelope, inner.signature)
    check(True, "forward: inner signature verifies")
    # receipt (section 10)
    r = ev["receipt"]
    rc, rb = V.msg(r["receipt"], "receipt")
    sr, srb = V.msg(r["signed_receipt"], "signed_receipt")
    note_env, note_eb, _ = by["note_green"]
    check(rc.message_id == note_env.message_id, "receipt: message id")
    check(rc.envelope_hash == b2b(note_eb), "receipt: envelope hash")
    check(bytes.fromhex(r["signing_input"]) == RCPT_PREFIX + rb,
          "receipt: signing input")
    sk = V.sign_key(rc.recipient)
    check(sk.sign(RCPT_PREFIX + rb).signature == sr.signature,
          "receipt: signature")
    check(sr.receipt == rb and sr.signer == rc.recipient and
          sr.key_id == rc.key_id == key_id(bytes(sk.verify_key)),
          "receipt: hints")
    # the batch form: ids and hashes pairwise, the single fields absent
    bt = r["batch"]
    brc, brb = V.msg(bt["receipt"], "receipt_batch")
    bsr, _ = V.msg(bt["signed_receipt"], "signed_receipt_batch")
    check(not brc.HasField("message_id") and
          not brc.HasField("envelope_hash"), "receipt batch: single absent")
    check(list(brc.batch_message_ids) ==
          [note_env.message_id, b"\x11" * 16] and
          list(brc.batch_envelope_hashes) ==
          [b2b(note_eb), b2b(b"second envelope")],
          "receipt batch: ids and hashes")
    check(bytes.fromhex(bt["signing_input"]) == RCPT_PREFIX + brb,
          "receipt batch: signing input")
    check(sk.sign(RCPT_PREFIX + brb).signature == bsr.signature and
          bsr.receipt == brb and bsr.signer == brc.recipient,
          "receipt batch: signature and hints")
    c = r["carrier"]
    cenv, _, _ = check_signed_envelope(V, c, "receipt_carrier")
    check(cenv.type == 8 and cenv.body == srb and
          cenv.in_reply_to == note_env.message_id and
          list(cenv.to) == [note_env.sender] and
          cenv.sender == rc.recipient, "receipt: carrier envelope")



# ---- section 4: the batch form of SignedEnvelope ----

def batch_leaf(eb):
    return b2b(LEAF_PREFIX + eb)


def batch_node(left, right):
    return b2b(NODE_PREFIX + left + right)


def batch_split(n):
    """The largest power of two below n (n >= 2): RFC 9162 2.1.1."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def batch_mth(leaves):
    """MTH(D[n]) of RFC 9162 2.1.1 over leaf hashes."""
    if len(leaves) == 1:
        return leaves[0]
    k = batch_split(len(leaves))
    return batch_node(batch_mth(leaves[:k]), batch_mth(leaves[k:]))


def batch_path(m, leaves):
    """PATH(m, D[n]) of RFC 9162 2.1.3.1: nearest sibling first."""
    if len(leaves) == 1:
        return []
    k = batch_split(len(leaves))
    if m < k:
        return batch_path(m, leaves[:k]) + [batch_mth(leaves[k:])]
    return batch_path(m - k, leaves[k:]) + [batch_mth(leaves[:k])]


def batch_root(index, count, leaf, path):
    """RFC 9162 2.1.3.2: the root a proof leads to, or None when the
    path's length does not fit (index, count)."""
    fn, sn, r = index, count - 1, leaf
    for p in path:
        if sn == 0:
            return None                 # too long
        if fn & 1 or fn == sn:
            r = batch_node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = batch_node(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None       # else too short


def batch_verify(pk, eb, index, count, path, sig):
    """protocol.md section 4, batch form: shape, root, Ed25519."""
    if not (2 <= count <= 64 and 0 <= index < count and len(path) <= 6 and
            all(len(p) == 32 for p in path) and len(eb) > 0 and
            len(sig) == 64):
        return False
    root = batch_root(index, count, batch_leaf(eb), path)
    if root is None:
        return False
    try:
        nacl.signing.VerifyKey(pk).verify(
            BATCH_PREFIX + count.to_bytes(4, "big") + root, sig)
    except nacl.exceptions.BadSignatureError:
        return False
    return True


def bent_proofs(i, n, path, leaves):
    """Proofs for envelope i that must all fail: (what, index, count,
    path)."""
    flip = bytes([path[0][0] ^ 1]) + path[0][1:]
    return [("wrong index", (i + 1) % n, n, path),
            ("count + 1", i, n + 1, path),
            ("path one short", i, n, path[:-1]),
            ("path one long", i, n, path + [path[0]]),
            ("path entries swapped", i, n, path[::-1]) if len(path) > 1
            else ("path entry is the leaf", i, n, [leaves[i]]),
            ("a path hash flipped", i, n, [flip] + path[1:])]


def check_envelope_batch(V):
    b = V.v["envelopes"]["envelope_batch"]
    sk = V.sign_key(b["signer_key"])
    pk = bytes(sk.verify_key)
    sig = bytes.fromhex(b["signature"])
    n = b["leaf_count"]
    items = []
    for e in b["envelopes"]:
        where = e["name"]
        env, eb = V.msg(e["envelope"], where + ".envelope")
        se, _ = V.msg(e["signed_envelope"], where + ".signed_envelope")
        _, braw = V.msg(e["body"], where + ".body")
        check(env.body == braw and env.handling.tlp == 2,
              where + ": plain GREEN body")
        check(batch_leaf(eb).hex() == e["leaf_hash"], where + ": leaf hash")
        check(b2b(eb).hex() == e["envelope_hash"],
              where + ": envelope hash (over the envelope bytes, unchanged)")
        check(se.envelope == eb and se.signature == sig and
              se.HasField("batch"), where + ": envelope, signature, batch")
        check(se.signer == env.sender and se.key_id == env.sender_key_id ==
              key_id(pk), where + ": hints equal the signed sender and key")
        items.append((env, eb, se))
    envs = [x[0] for x in items]
    check(len(items) == n and
          all(list(x.to) == list(envs[0].to) and
              list(x.to_groups) == list(envs[0].to_groups) and
              x.sender == envs[0].sender for x in envs),
          "batch: one sender, one recipient list, leaf_count envelopes")
    leaves = [batch_leaf(x[1]) for x in items]
    root = batch_mth(leaves)
    check(root.hex() == b["root"], "batch: root (RFC 9162 MTH)")
    si = BATCH_PREFIX + n.to_bytes(4, "big") + root
    check(bytes.fromhex(b["signing_input"]) == si, "batch: signing input")
    check(sk.sign(si).signature == sig, "batch: signature")
    for i, (env, eb, se) in enumerate(items):
        where = b["envelopes"][i]["name"]
        pr = se.batch
        path = list(pr.path)
        check(pr.leaf_index == i and pr.leaf_count == n,
              where + ": leaf_index, leaf_count")
        check(path == batch_path(i, leaves),
              where + ": path is RFC 9162 PATH, nearest sibling first")
        check(batch_verify(pk, eb, i, n, path, sig),
              where + ": the proof verifies")
        try:
            nacl.signing.VerifyKey(pk).verify(ENV_PREFIX + eb, sig)
            single = True
        except nacl.exceptions.BadSignatureError:
            single = False
        check(not single, where + ": the batch signature is no single one")
        for what, bi, bn, bp in bent_proofs(i, n, path, leaves):
            check(not batch_verify(pk, eb, bi, bn, bp, sig),
                  where + ": bent proof refused: " + what)
    # a node read as a leaf: the bytes left || right of node(l0, l1)
    fake = leaves[0] + leaves[1]
    for cnt, p in ((2, [leaves[2]]), (3, [leaves[2]])):
        check(not batch_verify(pk, fake, 0, cnt, p, sig),
              "batch: an inner node's preimage is no leaf (count %d)" % cnt)


# ---- section 7: directory ----

def keyrec_pre(k):
    return (lp(k.key_id) + u64be(k.purpose) + lp(k.public_key) +
            u64be(k.valid_from_ms) + u64be(k.valid_until_ms) +
            u64be(k.revoked_at_ms))


def policy_preimage(p):
    pre = lp("liaison/root-policy/v1") + u64be(p.version)
    pre += keyrec_pre(p.sequencer_key) + u64be(len(p.admins))
    for a in sorted(p.admins, key=lambda a: a.key.key_id.encode()):
        pre += lp(a.name) + keyrec_pre(a.key)
    for cls in (1, 2, 3):      # ROUTINE, SENSITIVE, ROOT
        k = 0
        for t in p.thresholds:
            if t.HasField("action_class") and t.action_class == cls and \
                    t.HasField("k"):
                k = t.k
                break
        pre += u64be(k)
    return pre


def digest_preimage(tables, ph, content):
    pre = lp("liaison/dir-content/v1" if content else "liaison/dir-state/v1")
    pre += lp(ph)
    for name in ("partners", "keys", "units", "contacts", "groups",
                 "members"):
        t = tables[name]
        pre += lp(name)
        for row in t["rows"]:
            pre += u64be(0x524f57)
            for (col, typ, skip), val in zip(t["columns"], row):
                if content and skip:
                    continue
                if typ == "integer":
                    pre += u64be(val)
                elif typ == "blob":
                    pre += lp(bytes.fromhex(val))
                else:
                    pre += lp(val)
        pre += u64be(len(t["rows"]))
    return pre


def materialise(ops):
    """The state tables the document says the ops produce (protocol.md
    section 7: versions, timestamps, contacts), for the actions the
    vectors use."""
    partners, keys, units, contacts, groups, members = {}, {}, {}, {}, {}, {}
    for op in ops:
        act = op.WhichOneof("action")
        t = op.created_ms
        if act == "init_root":
            continue
        if act == "add_partner":
            p = op.add_partner.partner
            partners[p.id] = [p.id, p.names.official, p.names.short_name,
                              p.names.local, p.kind, p.country, 1, 1, t, t]
            for k in p.keys:
                keys[(p.id, k.key_id)] = [p.id, k.key_id, k.purpose,
                                          k.public_key.hex(), k.valid_from_ms,
                                          k.valid_until_ms, k.revoked_at_ms]
            for c in p.contacts:
                contacts[(p.id, c.contact_id)] = contact_row(p.id, c, 0, t)
            continue
        if act == "set_contact":
            pid, c = op.set_contact.partner_id, op.set_contact.contact
            old = contacts.get((pid, c.contact_id))
            contacts[(pid, c.contact_id)] = contact_row(
                pid, c, old[10] if old else 0, t)
            partners[pid][7] += 1
            partners[pid][9] = t
            continue
        if act == "create_group":
            g = op.create_group
            groups[g.name] = [g.name, g.description, 1]
            continue
        if act == "add_member":
            m = op.add_member
            members[(m.group, m.partner_id)] = [m.group, m.partner_id]
            groups[m.group][2] += 1
            continue
        raise ValueError("materialise: action %s not modelled" % act)

    def rows(d):
        return [d[k] for k in sorted(d, key=lambda k: tuple(
            x.encode() for x in (k if isinstance(k, tuple) else (k,))))]
    return {"partners": rows(partners), "keys": rows(keys),
            "units": rows(units), "contacts": rows(contacts),
            "groups": rows(groups), "members": rows(members)}


def contact_row(pid, c, verified, t):
    return [pid, c.contact_id, c.name, c.role, c.unit_id, c.email, c.phone,
            1 if c.is_24x7 else 0, ",".join(c.languages), c.time_zone,
            verified, t]


def check_directory(V):
    d = V.v["directory"]
    rp = d["root_policy_hash"]
    pol, _ = V.msg(rp["policy"], "root policy")
    pre = policy_preimage(pol)
    check(pre.hex() == rp["preimage"], "policy hash preimage")
    check(b2b(pre).hex() == rp["hash"], "policy hash")
    prev = bytes(32)
    rev = 0
    for ent in d["log"]:
        where = "log rev %d" % ent["rev"]
        op, opb = V.msg(ent["op"], where + ".op")
        sop, sopb = V.msg(ent["signed_op"], where + ".signed_op")
        le, leb = V.msg(ent["log_entry"], where + ".log_entry")
        check(sop.op == opb, where + ": SignedDirOp.op")
        check(len(sop.signatures) == len(ent["signers"]),
              where + ": signature count")
        for s in ent["signers"]:
            sk = V.sign_key(s["signer"])
            sig = sk.sign(DIROP_PREFIX + opb).signature
            check(any(x.key_id == s["key_id"] == key_id(bytes(sk.verify_key))
                      and x.signature == sig for x in sop.signatures),
                  where + ": signature by " + s["signer"])
        rev += 1
        check(le.rev == rev == ent["rev"], where + ": consecutive rev")
        check(le.prev_hash == prev, where + ": prev_hash")
        check(le.signed_op == sopb, where + ": signed_op bytes")
        h = b2b(prev + u64be(rev) + sopb)
        check(le.entry_hash == h, where + ": entry hash")
        prev = h
        if rev == 1:
            check(op.WhichOneof("action") == "init_root" and
                  op.init_root.policy == pol and op.expected_version == 0,
                  "genesis carries the hashed policy")
    head_rev, head = rev, prev
    dg = d["digest"]
    ops = []
    for ent in d["log"]:
        op = V.classes["liaison.v1.DirOp"]()
        op.ParseFromString(bytes.fromhex(ent["op"]["bytes"]))
        ops.append(op)
    want = materialise(ops)
    for name, t in dg["tables"].items():
        check(t["rows"] == want[name],
              "state table %s follows from the ops" % name)
    ph = bytes.fromhex(rp["hash"])
    for content, name in ((False, "state"), (True, "content")):
        pre = digest_preimage(dg["tables"], ph, content)
        check(pre.hex() == dg[name + "_preimage"], name + " preimage")
        check(b2b(pre).hex() == dg[name + "_digest"], name + " digest")
    bf = d["batch_file"]
    batch = V.classes["liaison.v1.SignedDirOpBatch"]()
    for h in bf["ops"]:
        batch.ops.append(bytes.fromhex(h))
    check(bf["ops"] == [d["log"][1]["signed_op"]["bytes"],
                        d["log"][2]["signed_op"]["bytes"]],
          "batch file: the signed ops of revs 2 and 3")
    check(bytes.fromhex(bf["file"]) ==
          b"LSNDIRB1" + batch.SerializeToString(), "batch file bytes")
    cp = d["checkpoint"]
    hc, hcb = V.msg(cp["checkpoint"], "checkpoint")
    sc, _ = V.msg(cp["signed_checkpoint"], "signed checkpoint")
    check(hc.rev == head_rev and hc.entry_hash == head and
          hc.state_digest.hex() == dg["state_digest"],
          "checkpoint names the head and the state digest")
    seq = pol.sequencer_key
    check(sc.key_id == seq.key_id and sc.checkpoint == hcb,
          "checkpoint key id and bytes")
    nacl.signing.VerifyKey(seq.public_key).verify(CP_PREFIX + hcb,
                                                  sc.signature)
    check(True, "checkpoint signature verifies under the sequencer key")
    env = V.v["envelopes"]["envelopes"][0]["envelope"]["fields"]
    check(env["dir_head"] == {"rev": head_rev, "hash": head.hex()},
          "note_green dir_head is the directory head")


def check_docs(V, docs):
    """The documents name the code the library answers for each body
    refusal: protocol.md has a table row per case, and every paragraph of
    protocol.md or integrators.md about unknown fields in a body that
    names error codes names the one for "unknown field"."""
    import re
    refusals = V.v["envelopes"]["body_refusals"]
    with open(os.path.join(docs, "protocol.md")) as fh:
        proto = fh.read()
    for r in refusals:
        if r["code"] == "OK":
            continue
        rows = [ln for ln in proto.splitlines()
                if ln.startswith("| " + r["about"] + " |")]
        check(len(rows) == 1 and "`%s`" % r["code"] in rows[0],
              "protocol.md: body refusal row '%s' names %s" %
              (r["about"], r["code"]))
    # the signing roles of section 2: prefix, length, hex with the 0x00
    roles = [ln.split("|") for ln in proto.splitlines()
             if ln.startswith("| `LSN_SIG_")]
    check(len(roles) == 6, "protocol.md: six signing roles")
    for cols in roles:
        m = re.match(r" `([^`]+)` \((\d+) bytes\) ", cols[2])
        pfx = m.group(1).encode() if m else b""
        check(m is not None and int(m.group(2)) == len(pfx) and
              cols[3].strip() == "`%s`" % (pfx + b"\x00").hex(),
              "protocol.md: role row %s" % cols[1].strip())
    for pfx in (LEAF_PREFIX, NODE_PREFIX, BATCH_PREFIX):
        check(pfx.hex() in proto, "protocol.md: hex of %r" % pfx)
    unknown = [r["code"] for r in refusals if r["about"] == "unknown field"]
    check(len(unknown) == 1, "vectors: one unknown-field refusal")
    for name in ("protocol.md", "integrators.md"):
        with open(os.path.join(docs, name)) as fh:
            paras = re.split(r"\n\s*\n", fh.read())
        for para in paras:
            flat = " ".join(para.split()).lower()
            codes = re.findall(r"`(E_[A-Z_]+)`", para)
            if "unknown field" in flat and "body" in flat and codes:
                check(unknown[0] in codes,
                      "%s: paragraph on unknown body fields names %s, "
                      "not %s: %s..." % (name, codes, unknown[0],
                                         " ".join(para.split())[:80]))


def check_api(V):
    for group in ("api", "frames"):
        for m in V.v["api"][group]:
            V.msg(m, m["name"])


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    tmp, classes = load_protos(sys.argv[2])
    try:
        V = Vectors(sys.argv[1], classes)
        docs = os.path.dirname(os.path.abspath(sys.argv[1]))
        for f in (check_keys, check_envelopes, check_envelope_batch,
                  check_directory, check_api,
                  lambda V: check_docs(V, docs)):
            try:
                f(V)
            except Exception as e:      # a crash is a failed check
                check(False, "%s: %r" % (f.__name__, e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("check_vectors: %d checks, %d failed" % (CHECKS[0], len(FAILS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
