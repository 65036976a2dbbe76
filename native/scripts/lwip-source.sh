#!/usr/bin/env bash
# Prepares native/deps/lwip: Debian's LwIP source package (fetched once into a cache
# shared by every checkout) copied into this checkout, with our patch series applied.
# The cache is never modified; the copy is remade whenever the series changes.
# Usage: native/scripts/lwip-source.sh    (run by scripts/setup.sh; needs root the first
# time on a machine, to add a deb-src entry)
set -euo pipefail
native=$(cd "$(dirname "$0")/.." && pwd)
cache=${GAZELLE_CACHE:-$HOME/.cache/gazelle}
lwip_version=2.1.3
src="$cache/lwip-$lwip_version"
patches="$native/lwip/patches"
dest="$native/deps/lwip"

log() { printf '[lwip] %s\n' "$*"; }
need_root() { [ "$(id -u)" = 0 ] || { echo "lwip-source: $1 needs root (run as root or with sudo)" >&2; exit 1; }; }

if [ ! -f "$src/src/core/tcp.c" ]; then
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
    need_root "adding a deb-src entry"
    log "adding deb-src entry for bookworm"
    cat > /etc/apt/sources.list.d/gazelle-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    apt-get update -q >/dev/null
  fi
  command -v dpkg-source >/dev/null || { need_root "installing dpkg-dev"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q dpkg-dev >/dev/null; }
  log "apt-get source lwip -> $src"
  work=$(mktemp -d)
  (cd "$work" && apt-get source -q lwip >/dev/null 2>&1 || { apt-get update -q >/dev/null; apt-get source -q lwip >/dev/null; })
  mkdir -p "$cache"
  rm -rf "$src"
  mv "$work"/lwip-"$lwip_version"*/ "$src"
  rm -rf "$work"
fi

# The series: native/lwip/patches/*.patch in name order (0001-..., 0002-...).
shopt -s nullglob
series=("$patches"/*.patch)
shopt -u nullglob
stamp=$( { echo "$src"; for p in "${series[@]}"; do basename "$p"; sha256sum < "$p"; done; } | sha256sum | cut -d' ' -f1)
if [ -f "$dest/.gazelle-stamp" ] && [ "$(cat "$dest/.gazelle-stamp")" = "$stamp" ] && [ ! -L "$dest" ]; then
  exit 0
fi
log "copying LwIP $lwip_version into native/deps/lwip and applying ${#series[@]} patch(es)"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
# A plain copy (fresh mtimes): make rebuilds every LwIP object when the series changes.
cp -r "$src" "$dest"
for p in "${series[@]}"; do
  log "  $(basename "$p")"
  patch -d "$dest" -p1 --forward --quiet < "$p" || { echo "lwip-source: $(basename "$p") does not apply" >&2; rm -rf "$dest"; exit 1; }
done
echo "$stamp" > "$dest/.gazelle-stamp"
