#!/usr/bin/env bash
# npm start: the set-up, then the main job (examples/fastify-hello: Fastify on a tap
# device). Both need root (apt packages and hugepages in set-up; DPDK's hugepage files and
# the tap device gz0 in the example), so say that first, before anything runs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "npm start needs root: set-up installs packages and reserves hugepages, and the example" >&2
  echo "creates the tap device gz0 and DPDK hugepage files. Run it as root: sudo npm start" >&2
  exit 1
fi
bash scripts/setup.sh
exec node examples/fastify-hello/main.js
