// `--network none`: the container's fresh network namespace with only the loopback device, up (as
// podman). Bringing a link up is a netlink request Node cannot make, and it must happen inside the
// namespace: `nsenter --net=/proc/PID/ns/net ip link set lo up` while the init waits for `start`.
import { spawnSync } from 'node:child_process';
import { EngineError } from './errors.js';

export function loopbackUp(pid: number): void {
  const r = spawnSync('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', 'link', 'set', 'lo', 'up'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr ?? '').trim() || `exit ${r.status}`;
    throw new EngineError(
      `--network none: cannot bring up lo: ${why}; install util-linux (nsenter) and iproute2 (ip)`,
    );
  }
}
