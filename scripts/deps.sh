#!/usr/bin/env bash
# Makes sure the system packages deckhand's build (and, with `test`, its tests)
# need are here, installing the missing ones with apt-get, and says which.
#   bash scripts/deps.sh build   # the demo: build deckhand, run the emulator
#   bash scripts/deps.sh test    # the tests: the above, plus sshd and Chromium
# Each need is checked by what uses it (a command, a file, a pkg-config module),
# so a machine that has it some other way passes too. Where nothing can be
# installed (not root and no password-less sudo, or no apt-get), it stops at
# once with one line naming the missing Debian packages.
set -euo pipefail

what="${1:-test}"
case "$what" in
  build | test) ;;
  *) echo "usage: bash scripts/deps.sh build|test" >&2; exit 2 ;;
esac

missing=()
need() { # need PACKAGE CHECK...: PACKAGE is missing unless CHECK succeeds
  local package="$1"; shift
  "$@" >/dev/null 2>&1 || missing+=("$package")
}
have() { command -v "$1"; }

# Building deckhand: a C compiler (libgit2, libssh2, zlib are built in),
# pkg-config and OpenSSL's headers (libgit2's HTTPS and SSH); git for config
# repos; Python 3 with venv for the emulator (moto, pinned, in .venv).
need build-essential have cc
need git have git
need pkg-config have pkg-config
need libssl-dev pkg-config --exists openssl
need python3-venv python3 -c 'import venv, ensurepip'
need curl have curl

if [ "$what" = test ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: the tests run as root (one enters a minimal root filesystem with chroot, as the container image's test): run it as root" >&2
    exit 1
  fi
  # One test serves the config repo from a local sshd with a deploy key.
  need openssh-server test -x /usr/sbin/sshd
  need openssh-client have ssh-keygen
  # The signed-commit tests sign with real gpg keys.
  need gnupg have gpg
  # The web UI tests drive Debian's headless Chromium (or $CHROMIUM).
  need chromium test -x "${CHROMIUM:-/usr/bin/chromium}"
  need fonts-dejavu-core test -d /usr/share/fonts/truetype/dejavu
fi

# The same package may be named by two checks (libssl-dev without pkg-config).
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: every system package the ${what} needs is here"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if have sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n); else sudo=(none); fi
fi
if ! have apt-get >/dev/null || [ "${sudo[*]}" = none ]; then
  why="not root"; have apt-get >/dev/null || why="no apt-get"
  echo "deps: missing ${missing[*]} (Debian packages; ${why}): install them, e.g. as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "deps: installing ${missing[*]} (Debian packages, apt-get)"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
echo "deps: installed ${missing[*]}"
