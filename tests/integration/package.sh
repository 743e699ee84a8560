#!/usr/bin/env bash
# package.sh -- the Debian package: `cpack -G DEB` in the build directory
# (output into a temporary directory), the .deb's metadata (name, depends,
# postinst), its files unpacked with `dpkg -x` into a temporary root, and
# the installed things used from there: `liaison --version`, the daemons'
# --version, `liaison-broker -n -c` on the installed example broker.conf
# (with keys made by the installed `liaison keygen` in the working directory
# the example's relative paths point into), and every installed man page
# rendered by `man -l` / groff without warnings.
set -u

: "${LSN_BIN_DIR:?LSN_BIN_DIR must point at the build directory}"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

fails=0
ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
finish() {
	if [ "$fails" -ne 0 ]; then
		echo "$fails check(s) failed"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}

for tool in cpack dpkg-deb; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool not installed"
		exit 0
	fi
done
if [ ! -f "$LSN_BIN_DIR/CPackConfig.cmake" ]; then
	bad "no CPackConfig.cmake in $LSN_BIN_DIR (cmake/Packaging.cmake)"
	finish
fi

if (cd "$LSN_BIN_DIR" && cpack --config CPackConfig.cmake -G DEB \
    -B "$T/pkg") >"$T/cpack.log" 2>&1; then
	ok "cpack -G DEB"
else
	bad "cpack -G DEB failed"
	sed 's/^/    | /' "$T/cpack.log"
	finish
fi
deb=$(ls "$T"/pkg/liaison_*.deb 2>/dev/null | head -n 1)
if [ -z "$deb" ]; then
	bad "no liaison_*.deb produced"
	ls -R "$T/pkg"
	finish
fi
ok "built $(basename "$deb")"

dpkg-deb -f "$deb" Package Depends Maintainer >"$T/control"
grep -qx "Package: liaison" "$T/control" && ok "package name liaison" ||
    bad "package name"
for dep in libzmq5 libsodium23 libsqlite3-0 libpq5 libprotobuf-c1 libinih1 \
    libjansson4 libmicrohttpd12; do
	grep -q "Depends:.*\b$dep\b" "$T/control" || bad "Depends lacks $dep"
done
ok "Depends checked"
dpkg-deb -e "$deb" "$T/ctl"
[ -x "$T/ctl/postinst" ] && ok "postinst present" || bad "no postinst"

R="$T/root"
dpkg -x "$deb" "$R" || { bad "dpkg -x"; finish; }
for f in usr/bin/liaison usr/sbin/liaison-broker usr/sbin/liaison-agent \
    usr/share/man/man1/liaison.1 usr/share/man/man5/liaison.conf.5 \
    usr/share/man/man8/liaison-broker.8 usr/share/man/man8/liaison-agent.8 \
    usr/share/doc/liaison/examples/broker.conf \
    usr/share/doc/liaison/examples/agent.conf \
    usr/share/doc/liaison/examples/patroni.yml.example \
    usr/lib/systemd/system/liaison-broker.service \
    usr/lib/systemd/system/liaison-agent@.service \
    usr/lib/systemd/system/liaison-agent.service \
    usr/lib/sysusers.d/liaison.conf usr/lib/tmpfiles.d/liaison.conf \
    usr/share/bash-completion/completions/liaison; do
	[ -e "$R/$f" ] || bad "package lacks /$f"
done
ok "installed file list checked"
# the installed bash completion completes commands and subcommands
comp() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
	    _liaison; echo "${COMPREPLY[*]}"' _ \
	    "$R/usr/share/bash-completion/completions/liaison" "$@"
}
[ "$(comp liaison mee)" = meeting ] && [ "$(comp liaison meeting li)" = list ] &&
    ok "bash completion completes" || bad "bash completion: '$(comp liaison mee)'"

v=$("$R/usr/bin/liaison" --version 2>&1) && [[ $v == "liaison "* ]] &&
    ok "installed liaison --version: $v" || bad "liaison --version: $v"
for d in broker agent; do
	v=$("$R/usr/sbin/liaison-$d" --version 2>&1) &&
	    [[ $v == "liaison-$d "* ]] && ok "installed liaison-$d --version" ||
	    bad "liaison-$d --version: $v"
done

# The example broker.conf names db and keys relative to the working
# directory (the unit's WorkingDirectory); -n loads both secret keys.
W="$T/work"
mkdir -p "$W"
EX="$R/usr/share/doc/liaison/examples/broker.conf"
chmod go-w "$EX"
if (cd "$W" && "$R/usr/sbin/liaison-broker" -n -c "$EX") >"$T/out" 2>&1; then
	bad "broker -n passed without keys"
else
	grep -q "sign_key" "$T/out" && ok "broker -n without keys names sign_key" ||
	    bad "broker -n without keys: $(cat "$T/out")"
fi
if "$R/usr/bin/liaison" keygen --partner broker --out "$W/keys" \
    >"$T/out" 2>&1; then
	ok "installed liaison keygen --partner broker"
else
	bad "keygen: $(cat "$T/out")"
fi
if (cd "$W" && "$R/usr/sbin/liaison-broker" -n -c "$EX") >"$T/out" 2>&1 &&
    grep -q "configuration OK" "$T/out"; then
	ok "installed liaison-broker -n -c examples/broker.conf"
else
	bad "liaison-broker -n on the example: $(cat "$T/out")"
fi
# The agent example has required options without defaults (partner,
# broker, keys, trust root): -n must name the first one missing.
chmod go-w "$R/usr/share/doc/liaison/examples/agent.conf"
if "$R/usr/sbin/liaison-agent" -n \
    -c "$R/usr/share/doc/liaison/examples/agent.conf" >"$T/out" 2>&1; then
	bad "agent -n passed the unfilled example"
else
	grep -q "missing required option" "$T/out" &&
	    ok "agent -n on the unfilled example names a missing option" ||
	    bad "agent -n: $(cat "$T/out")"
fi

# The integrator packages (cmake/Packaging.cmake components).
for p in libliaison0 liaison-dev python3-liaison; do
	d=$(ls "$T"/pkg/"${p}"_*.deb 2>/dev/null | head -n 1)
	if [ -z "$d" ]; then
		bad "no ${p}_*.deb produced"
		continue
	fi
	[ "$(dpkg-deb -f "$d" Package)" = "$p" ] || bad "$d: Package is not $p"
	dpkg-deb -e "$d" "$T/ctl-$p"
	[ -e "$T/ctl-$p/postinst" ] && bad "$p carries the daemons' postinst"
	dpkg -x "$d" "$R" || bad "dpkg -x $d"
done
dpkg-deb -f "$T"/pkg/liaison-dev_*.deb Depends | grep -q 'libliaison0 (=' ||
    bad "liaison-dev does not depend on libliaison0 (= version)"
dpkg-deb -f "$T"/pkg/python3-liaison_*.deb Depends |
    grep -q 'python3-zmq.*python3-protobuf' ||
    bad "python3-liaison lacks python3-zmq / python3-protobuf"
grep -q ldconfig "$T/ctl-libliaison0/triggers" 2>/dev/null ||
    bad "libliaison0 has no ldconfig trigger"
for f in usr/lib/libliaison.so.0 usr/lib/libliaison.so \
    usr/lib/pkgconfig/liaison.pc usr/include/liaison/client.h \
    usr/include/liaison/pb/api.pb-c.h usr/share/liaison/proto/api.proto \
    usr/lib/python3/dist-packages/liaison/__init__.py \
    usr/lib/python3/dist-packages/liaison/proto/api_pb2.py; do
	[ -e "$R/$f" ] || bad "integrator packages lack /$f"
done
ok "libliaison0, liaison-dev, python3-liaison checked"
if PYTHONPATH="$R/usr/lib/python3/dist-packages" /usr/bin/python3 -c \
    'import liaison, sys; sys.exit(liaison.errors.TimedOut.code != -12)' \
    >"$T/out" 2>&1; then
	ok "the packaged Python module imports"
else
	bad "import liaison from python3-liaison: $(cat "$T/out")"
fi

for f in "$R"/usr/share/man/man*/*; do
	command -v groff >/dev/null || bad "groff missing (scripts/install-deps installs groff-base)"
	command -v man >/dev/null || bad "man missing (scripts/install-deps installs man-db)"
	w=$(groff -man -Tutf8 -ww -z "$f" 2>&1)
	[ -z "$w" ] || bad "groff warns on $(basename "$f"): $w"
	w=$(MANWIDTH=80 man -l "$f" 2>&1 >/dev/null)
	[ -z "$w" ] || bad "man -l warns on $(basename "$f"): $w"
	MANWIDTH=80 man -l "$f" 2>/dev/null | grep -q "NAME" ||
	    bad "man -l $(basename "$f") shows no NAME section"
done
ok "installed man pages rendered"

finish
