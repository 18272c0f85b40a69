// CNI ADD/DEL latency with the real plugins (bridge + host-local + portmap + bandwidth, Corral's
// default network) in network namespaces this bench creates and removes: a private "host" netns
// holding the bridge and one pod netns attached and detached `iterations` times. Needs root.
//
//   node dist/bench/net-cni.js [iterations]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { CniRuntime, defaultNetworkConfig } from '../src/network/cni/index.js';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'ignore', timeout: 20_000 });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Milliseconds: ADD p50/p99 and DEL p50 over `iterations` attach/detach cycles of one pod. */
export async function benchCniAdd(iterations: number): Promise<{ p50: number; p99: number; delP50: number }> {
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new Error(`iterations: ${iterations} must be a whole number ≥ 1`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-cni-'));
  const host = `bcni-host-${process.pid}`;
  const pod = `bcni-pod-${process.pid}`;
  const made: string[] = [];
  try {
    for (const ns of [host, pod]) {
      ip('netns', 'add', ns);
      made.push(ns);
    }
    ip('netns', 'exec', host, 'ip', 'link', 'set', 'lo', 'up');
    const rt = new CniRuntime({
      confDir: join(dir, 'net.d'),
      cacheDir: join(dir, 'cache'),
      hostNetns: `/run/netns/${host}`,
    });
    const net = defaultNetworkConfig({
      name: 'bench',
      bridge: `bcni${process.pid % 100000}`,
      subnet: '10.212.0.0/24',
      dataDir: dir,
    });
    const attachment = {
      containerId: 'bench-pod',
      netns: `/run/netns/${pod}`,
      args: {
        K8S_POD_NAMESPACE: 'default',
        K8S_POD_NAME: 'bench',
        K8S_POD_INFRA_CONTAINER_ID: 'bench-pod',
        K8S_POD_UID: 'u',
      },
      capabilityArgs: { portMappings: [{ hostPort: 18080, containerPort: 80, protocol: 'tcp' as const }] },
    };
    const add: number[] = [];
    const del: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t0 = performance.now();
      await rt.add(net, attachment);
      const t1 = performance.now();
      await rt.del(net, attachment);
      del.push(performance.now() - t1);
      add.push(t1 - t0);
    }
    add.sort((a, b) => a - b);
    del.sort((a, b) => a - b);
    return { p50: percentile(add, 50), p99: percentile(add, 99), delP50: percentile(del, 50) };
  } finally {
    for (const ns of made.reverse()) ip('netns', 'del', ns);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = Number(process.argv[2] ?? 20);
  const r = await benchCniAdd(n);
  console.log(
    `CNI ADD (bridge+host-local+portmap+bandwidth), ${n} iterations: p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms; DEL p50 ${r.delP50.toFixed(1)} ms`,
  );
}
