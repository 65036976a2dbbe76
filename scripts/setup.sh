#!/usr/bin/env bash
# Prepares this machine for gazelle-node: Debian packages, LwIP source, hugepages,
# npm install and the native + TypeScript build. Idempotent; quick when done already.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
hugepages=${GAZELLE_HUGEPAGES:-1024}   # 2 MiB pages: 2 GiB, enough for ~8 stacks at once

log() { printf '[setup] %s\n' "$*"; }
need_root() { [ "$(id -u)" = 0 ] || { echo "setup: $1 needs root (run as root or with sudo)" >&2; exit 1; }; }

# clang + libbpf-dev: the af_xdp device's XDP program (native/bpf) is compiled at build time
apt_packages=(libdpdk-dev dpdk pkg-config build-essential python3 libnuma-dev
  iproute2 ethtool curl iputils-ping tcpdump procps tshark
  nghttp2-client wrk openssl patch hping3 python3-scapy clang libbpf-dev clang-format
  redis-server postgresql)   # real servers for @gazelle/register's client tests
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  need_root "installing ${missing[*]}"
  log "apt-get install ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi

# LwIP: Debian's source package with our patch series, built later with our lwipopts.h.
bash native/scripts/lwip-source.sh

# Hugepages for DPDK mbuf pools: reserved and mounted on /dev/hugepages.
have=$(awk '/^HugePages_Total/ {print $2}' /proc/meminfo)
if [ "$have" -lt "$hugepages" ]; then
  need_root "reserving hugepages"
  log "reserving $hugepages hugepages of 2 MiB"
  echo "$hugepages" > /proc/sys/vm/nr_hugepages
fi
if ! awk '$3 == "hugetlbfs" {found=1} END {exit !found}' /proc/mounts; then
  need_root "mounting hugetlbfs"
  mkdir -p /dev/hugepages
  mount -t hugetlbfs nodev /dev/hugepages
  log "mounted hugetlbfs on /dev/hugepages"
fi

workspaces_linked() {
  for pkg in native/package.json packages/*/package.json; do
    name=$(node -p "require('./$pkg').name")
    [ -e "node_modules/$name" ] || return 1
  done
}
# A manifest or the lock newer than the last install (a merge that adds a dependency to a
# package) means install again.
manifests_changed() {
  local f
  for f in package.json package-lock.json native/package.json packages/*/package.json; do
    [ "$f" -nt node_modules/.package-lock.json ] && return 0
  done
  return 1
}
if [ ! -d node_modules/.bin ] || manifests_changed || ! workspaces_linked; then
  log "npm install"
  npm install --no-audit --no-fund --loglevel=error
  touch node_modules/.package-lock.json
fi

log "build"
TURBO_TELEMETRY_DISABLED=1 npx --no-install turbo run build --output-logs=errors-only
log "ready"
