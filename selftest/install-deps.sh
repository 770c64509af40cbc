#!/bin/sh
# Install, idempotently, every Debian package the build and the test suites
# need, for the Debian release this runs on (12 "bookworm" or 13 "trixie"
# and later).  Run as root.
#
#   install-deps.sh            install what is missing
#   install-deps.sh --list     print the package set, one a line (the
#                              Debian 13 root builder installs it)
#
# Daemons shipped by these packages (smbd, nmbd, samba-ad-dc, apache2,
# winbind) must not start: they would listen on every interface and nmbd
# would broadcast on the LAN.  A policy-rc.d for the length of the install
# keeps them down; one that was already there is left alone.
set -eu

# The same names on Debian 12 and 13; why each is here is in
# docs/design.md, "Build dependencies".  python3-ldb-dev (pyldb.h), gone
# from Samba 4.21 on, is not needed: the glue reads the ldb context of an
# ldb.Ldb itself (docs/design.md, "Samba interfaces").  Samba 4.22's
# option parser warns on stderr without python3-setproctitle.
PKGS="gcc pkg-config python3-dev
samba samba-ad-dc samba-ad-provision python3-samba ldb-tools
libldb-dev libtalloc-dev libcmocka-dev python3-setproctitle
libxml2-dev krb5-user valgrind iproute2 util-linux
apache2 libapache2-mod-auth-gssapi curl python3-gssapi clang-format"

if [ "${1:-}" = --list ]; then
	for p in $PKGS; do
		echo "$p"
	done
	exit 0
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	exit 0
fi

echo "install-deps: installing:$missing"
policy=/usr/sbin/policy-rc.d
ours=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy"
	chmod 755 "$policy"
	ours=1
fi
cleanup() {
	if [ "$ours" = 1 ]; then
		rm -f "$policy"
	fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends $missing >/dev/null; then
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
