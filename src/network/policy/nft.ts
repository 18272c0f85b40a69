// Running `nft -f -` (inside the node's network namespace via nsenter when one is given) and
// reading the bridge-netfilter sysctls there. The engine talks to this interface so unit tests can
// fake the kernel.
import { spawn } from 'node:child_process';
import { PolicyError } from './errors.js';

export interface NftRunner {
  /** Runs an nft script as one transaction; rejects with nft's own message on failure. */
  apply(script: string): Promise<void>;
  /** The value of /proc/sys/<path> in the target network namespace, or undefined if it is absent. */
  sysctl(path: string): Promise<string | undefined>;
}

const TIMEOUT_MS = 30_000;

function run(argv: string[], input: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new PolicyError(`cannot run ${argv[0]}: ${e.message} (is ${argv[0]} installed and on PATH?)`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
    // nft may exit before reading all of a bad script; that shows in its exit status, not here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** Runs nft in the network namespace at `netns` (a path such as /run/netns/x), or in our own. */
export function nftRunner(netns?: string): NftRunner {
  const prefix = netns ? ['nsenter', `--net=${netns}`] : [];
  return {
    async apply(script) {
      const r = await run([...prefix, 'nft', '-f', '-'], script);
      if (r.code !== 0) {
        const msg = r.err.trim().split('\n').slice(0, 12).join(' | ') || `exit status ${r.code}`;
        throw new PolicyError(`nft -f failed${netns ? ` in ${netns}` : ''}: ${msg}`);
      }
    },
    async sysctl(path) {
      // /proc/sys/net shows the network namespace of the process reading it, hence nsenter.
      const r = await run([...prefix, 'cat', `/proc/sys/${path}`], '');
      if (r.code !== 0) {
        if (netns && /nsenter/.test(r.err))
          throw new PolicyError(`cannot enter network namespace ${netns}: ${r.err.trim()}`);
        return undefined;
      }
      return r.out.trim();
    },
  };
}

/**
 * Bridged pod-to-pod frames reach the inet forward hook only through br_netfilter; without it
 * policies would silently not apply. Throws a PolicyError saying how to fix it.
 */
export async function checkBridgeNetfilter(
  nft: NftRunner,
  netns?: string,
  log?: (m: string) => void,
): Promise<void> {
  const where = netns ? ` in network namespace ${netns}` : '';
  const enter = netns ? `nsenter --net=${netns} ` : '';
  const v4 = await nft.sysctl('net/bridge/bridge-nf-call-iptables');
  if (v4 === undefined)
    throw new PolicyError(
      `br_netfilter is not available${where}, so traffic between pods on a bridge cannot be filtered: run 'modprobe br_netfilter', then '${enter}sysctl -w net.bridge.bridge-nf-call-iptables=1'`,
    );
  if (v4 !== '1')
    throw new PolicyError(
      `net.bridge.bridge-nf-call-iptables is ${v4}${where}, so traffic between pods on a bridge would bypass NetworkPolicy: run '${enter}sysctl -w net.bridge.bridge-nf-call-iptables=1' (and net.bridge.bridge-nf-call-ip6tables=1 for IPv6)`,
    );
  const v6 = await nft.sysctl('net/bridge/bridge-nf-call-ip6tables');
  if (v6 !== '1')
    log?.(
      `warning: net.bridge.bridge-nf-call-ip6tables is ${v6 ?? 'absent'}${where}; IPv6 traffic between pods on a bridge is not filtered (fix: '${enter}sysctl -w net.bridge.bridge-nf-call-ip6tables=1')`,
    );
}
