#!/usr/bin/env bash
# Installs the system packages the project runs and tests with, from Debian's archive, when missing:
# Chromium (the browser the extension and the end-to-end tests run in) and PostgreSQL 15 (the
# node's PostgreSQL store is tested against a real server, started per test file from its binaries).
# Needs root (or sudo). Safe to re-run: installs only what is missing.
set -euo pipefail

packages=()
[ -x /usr/bin/chromium ] || packages+=(chromium)
[ -x /usr/lib/postgresql/15/bin/initdb ] || packages+=(postgresql)

if [ ${#packages[@]} -eq 0 ]; then
  echo "system-deps: everything is installed" >&2
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "system-deps: ERROR: run as root: apt-get install -y ${packages[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "system-deps: installing ${packages[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${packages[@]}" >&2
