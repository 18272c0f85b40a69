#!/usr/bin/env bash
# The quick start: install what is missing, build, and open a shell in a fresh container from the
# built-in busybox image (every namespace, default capabilities and seccomp profile, cgroup
# limits). Extra arguments replace the shell: `npm start -- uname -a`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
tty=(-i)
[[ -t 0 && -t 1 ]] && tty=(-it)
exec native/corral run --rm "${tty[@]}" --memory 256Mi busybox "${@:-sh}"
