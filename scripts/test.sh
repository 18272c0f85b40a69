#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what is missing, builds, runs lint, the unit
# and root integration tests on this machine's cgroup layout, then the cgroup v2 set inside a
# pure cgroup v2 VM (../shared/vm/cgroup2-vm) when that tool is there.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
npm run -s lint

mapfile -t host_tests < <(find dist/test -name '*.test.js' ! -name '*.v2.test.js' | sort)
echo "== tests on this host (${#host_tests[@]} files)"
node --test --test-concurrency=2 --test-timeout=300000 "${host_tests[@]}"

vm=../shared/vm/cgroup2-vm
mapfile -t v2_tests < <(find dist/test -name '*.v2.test.js' | sort)
if ((${#v2_tests[@]})); then
  if [[ -x $vm ]]; then
    echo "== cgroup v2 tests in a VM (${#v2_tests[@]} files)"
    # In a process group of its own (job control): its watchdog's `sleep` outlives it, and is
    # ended with the group afterwards. A terminal's Ctrl-C no longer reaches that group: passed on.
    set -m
    "$vm" --timeout 1500 -- node --test --test-concurrency=1 --test-timeout=600000 "${v2_tests[@]}" &
    vm_pid=$!
    trap 'kill -- "-$vm_pid" 2>/dev/null; exit 130' INT TERM
    rc=0
    wait "$vm_pid" || rc=$?
    trap - INT TERM
    kill -- "-$vm_pid" 2>/dev/null || true
    ((rc == 0)) || exit "$rc"
  elif [[ -n "${CI:-}" ]]; then
    echo "test: $vm is missing; CI must run the cgroup v2 tests" >&2; exit 1
  else
    echo "== skipping cgroup v2 VM tests: $vm not found"
  fi
fi
