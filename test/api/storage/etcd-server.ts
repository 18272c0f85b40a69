// A throwaway etcd on loopback for the tests and the benchmark: free ports, a tmp data dir, and
// stop() that ends exactly the process it started (by PID) and removes the dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BIN = process.env.CORRAL_ETCD ?? '/usr/bin/etcd';

export function etcdInstalled(): boolean {
  return existsSync(ETCD_BIN);
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

export interface EtcdServer {
  /** 'http://127.0.0.1:PORT' */
  url: string;
  /** '127.0.0.1:PORT', for openStorage('etcd://' + endpoint). */
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
// Last resort when a test run dies without its after-hook: never leave an etcd behind.
process.once('exit', () => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Starts etcd and resolves once it serves clients (progress notifications every `progressMs`). */
export async function startEtcd(progressMs = 200): Promise<EtcdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'corral-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const child = spawn(
    ETCD_BIN,
    [
      '--name=test',
      `--data-dir=${join(dir, 'data')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=test=${peerUrl}`,
      `--experimental-watch-progress-notify-interval=${progressMs}ms`,
      '--logger=zap',
      '--log-level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  live.add(child);
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    live.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Ready when the gRPC gateway answers (the HTTP /health endpoint on the client port).
    const end = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`etcd exited ${child.exitCode}: ${log}`);
      try {
        const r = await fetch(`${url}/health`);
        if (r.ok && ((await r.json()) as { health?: string }).health === 'true') break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > end) throw new Error(`etcd did not become healthy in 20 s: ${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, endpoint: `127.0.0.1:${client}`, pid: child.pid!, stop };
}
