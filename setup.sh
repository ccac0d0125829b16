#!/bin/sh
# Install what allocbench needs on Debian 12 (or a derivative): the compiler,
# the libraries it links, the allocators it benchmarks and the tools its tests
# and plots use. Safe to run again; it only installs what is missing.
set -eu

PKGS="build-essential pkg-config git
      libjansson-dev libhwloc-dev libnuma-dev libinih-dev libsqlite3-dev libcmocka-dev
      libpq-dev postgresql
      nettle-dev libzstd-dev
      libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0
      musl-tools
      libunwind-dev libdw-dev libelf-dev elfutils clang
      gnuplot-nox qemu-user valgrind strace time chromium
      python3 sqlite3"

missing=""
for p in $PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
                missing="$missing $p"
done
if [ -z "$missing" ]; then
        echo "setup: all packages present"
        exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "setup: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
