#!/bin/sh
# Install, idempotently, every Debian package the build and the test suites
# need.  Run as root on Debian 12.  Daemons shipped by these packages
# (smbd, nmbd, samba-ad-dc, apache2, winbind) must not start: they would
# listen on every interface and nmbd would broadcast on the LAN.  A
# policy-rc.d for the length of the install keeps them down; one that was
# already there is left alone.
set -eu

PKGS="gcc pkg-config python3-dev
samba samba-ad-dc samba-ad-provision samba-dev python3-samba ldb-tools
libldb-dev python3-ldb-dev libtalloc-dev libtevent-dev libcmocka-dev
libxml2-dev krb5-user valgrind iproute2 util-linux
apache2 libapache2-mod-auth-gssapi curl python3-gssapi"

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
