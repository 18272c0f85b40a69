#!/usr/bin/env bash
# Installs what Corral needs and is missing, then builds it. Safe to run again: it only does
# what is not done yet. Needs root for the Debian packages (a container runtime needs root anyway).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian/Ubuntu packages: compiler and libseccomp for the helper (musl-tools: the programs exec'd
# per container start faster against musl, see native/Makefile); busybox-static for the built-in
# image; attr (setfattr marks overlayfs opaque dirs); e2fsprogs (chattr, see src/kernel/topdir.ts);
# openssl (the API server's certificates); iproute2, nftables and the standard CNI plugins for
# networking. With --test: the peers the tests and benchmarks compare against or drive (podman,
# crun, runc, skopeo, a docker-registry and etcd on loopback), python3 (receives a pty fd in a
# test).
pkgs=(gcc make libc6-dev libseccomp-dev musl-tools busybox-static attr e2fsprogs openssl iproute2 nftables containernetworking-plugins)
if [[ "${1:-}" == "--test" ]]; then pkgs+=(crun runc podman skopeo uidmap docker-registry etcd-server python3); fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  if [[ $(id -u) -ne 0 ]]; then echo "setup: run as root to install packages: ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm dependencies, exactly as locked.
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# TypeScript and the native helper.
npm run -s build
