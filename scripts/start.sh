#!/usr/bin/env bash
# The quick start: install what is missing, build, and open a shell in a fresh container
# (busybox rootfs, every namespace, default capabilities and seccomp profile, cgroup limits).
# Extra arguments are passed to `corral sandbox` (e.g. -- uname -a).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/corral.js sandbox "$@"
