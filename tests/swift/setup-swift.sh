#!/usr/bin/env bash
# A Swift 6 toolchain for tests/test_swift.py on a Debian 12 host: Debian 13 (trixie) packages `swiftlang`,
# bookworm does not. Builds a trixie root with debootstrap once, installs swiftlang in it through chroot, and
# keeps it outside the clone so later runs reuse it (a second run only checks the stamp).
#   EDGEDIGITS_SWIFT_ROOT  where the root lives (default /var/cache/edgedigits/swift-trixie)
# The mirror is the host's own Debian mirror, read from its apt sources; nothing else is downloaded.
# Exit status: 0 when the toolchain is ready, or when it cannot be built and CI is not "true" (the test then
# skips locally); 1 when it cannot be built in CI (the test would fail there anyway, this says why earlier).
set -euo pipefail
ROOT="${EDGEDIGITS_SWIFT_ROOT:-/var/cache/edgedigits/swift-trixie}"
STAMP="$ROOT/.edgedigits-swift-ready"
SUITE=trixie

give_up() {
    echo "setup-swift: $*" >&2
    if [ "${CI:-}" = "true" ]; then exit 1; fi
    exit 0
}

if [ -f "$STAMP" ] && [ -x "$ROOT/usr/bin/swiftc" ]; then
    echo "setup-swift: cached toolchain in $ROOT ($(cat "$STAMP"))"
    exit 0
fi
[ "$(uname -s)" = Linux ] || give_up "not Linux; install Swift 6 yourself and put swiftc on PATH"
[ "$(id -u)" = 0 ] || give_up "debootstrap and chroot need root; run as root or put a Swift 6 swiftc on PATH"
command -v apt-get >/dev/null 2>&1 || give_up "no apt-get on this host"

# The first Debian mirror in the host's apt sources (deb822 .sources files first, then sources.list),
# skipping the security archive, which carries no full suite.
mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "$f"
    done
}
MIRROR="$(mirror | grep -v -- '-security' | grep -i debian | head -n 1 || true)"
[ -n "$MIRROR" ] || give_up "no Debian mirror found in /etc/apt/sources.list{,.d}"

if ! command -v debootstrap >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

start=$(date +%s)
BUILD="$ROOT.partial"
rm -rf "$BUILD"
mkdir -p "$(dirname "$ROOT")"
echo "setup-swift: debootstrap $SUITE from $MIRROR into $BUILD"
debootstrap --variant=minbase "$SUITE" "$BUILD" "$MIRROR" >"$BUILD.log" 2>&1 \
    || { tail -n 20 "$BUILD.log" >&2; give_up "debootstrap failed (log: $BUILD.log)"; }
# swiftlang's maintainer scripts expect /proc; mount it privately so nothing leaks into the host's mounts.
unshare --mount --propagation private sh -c "
    mount -t proc proc '$BUILD/proc' &&
    chroot '$BUILD' /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
        'apt-get update -qq && apt-get install -y -qq --no-install-recommends swiftlang libc6-dev >/dev/null && apt-get clean'
" >>"$BUILD.log" 2>&1 || { tail -n 20 "$BUILD.log" >&2; give_up "installing swiftlang in the $SUITE root failed (log: $BUILD.log)"; }
version="$(unshare --mount --propagation private sh -c "mount -t proc proc '$BUILD/proc' && chroot '$BUILD' swiftc --version" 2>&1 | head -n 1)"
echo "$version; built $(date -u +%FT%TZ) in $(( $(date +%s) - start )) s" >"$BUILD/.edgedigits-swift-ready"
rm -rf "$ROOT"
mv "$BUILD" "$ROOT"
mv "$BUILD.log" "$ROOT.log"
echo "setup-swift: $(cat "$STAMP")"
