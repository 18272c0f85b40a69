// The API server's storage on both backends: with N objects (default 10 000, ~1 KB JSON each)
// stored, creates/s (filling the store), gets/s (sequential, and 32 in flight), updates p50/p99
// (sequential, at the right revision), a full list, and a watch's delivery latency. etcd is a
// throwaway single-member /usr/bin/etcd on loopback (skipped when missing); SQLite a tmp file.
// Nothing asserts a timing.
//
//   npm run bench:api-storage -- [--objects 10000] [--only sqlite,etcd]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openStorage } from '../src/api/storage/open.js';
import type { Storage } from '../src/api/storage/types.js';
import { etcdInstalled, startEtcd, type EtcdServer } from '../test/api/storage/etcd-server.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const OBJECTS = Number(arg('objects') ?? 10_000);
const only = arg('only')?.split(',');

const pct = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};
const pod = (i: number): Buffer =>
  Buffer.from(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pod-${i}`, namespace: 'default', labels: { app: `app-${i % 50}` } },
      spec: {
        containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }],
        pad: 'x'.repeat(700),
      },
    }),
  );
const key = (i: number): string => `/registry/pods/default/pod-${String(i).padStart(6, '0')}`;

async function inFlight(n: number, total: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < total) await op(next++);
    }),
  );
}

async function bench(name: string, s: Storage): Promise<string> {
  const revs: number[] = [];
  let t = performance.now();
  for (let i = 0; i < OBJECTS; i++) revs[i] = (await s.create(key(i), pod(i))).modRevision;
  const createPerS = OBJECTS / ((performance.now() - t) / 1000);

  const GETS = Math.min(20_000, OBJECTS * 2);
  t = performance.now();
  for (let i = 0; i < GETS; i++) await s.get(key((i * 7919) % OBJECTS));
  const getPerS = GETS / ((performance.now() - t) / 1000);
  t = performance.now();
  await inFlight(32, GETS, (i) => s.get(key((i * 7919) % OBJECTS)));
  const get32PerS = GETS / ((performance.now() - t) / 1000);

  const UPDATES = Math.min(5_000, OBJECTS);
  const lat: number[] = [];
  for (let n = 0; n < UPDATES; n++) {
    const i = (n * 104729) % OBJECTS;
    const t0 = performance.now();
    revs[i] = (await s.update(key(i), pod(i), revs[i]!)).modRevision;
    lat.push(performance.now() - t0);
  }

  t = performance.now();
  const l = await s.list('/registry/pods/');
  const listMs = performance.now() - t;
  if (l.items.length !== OBJECTS) throw new Error(`list returned ${l.items.length} of ${OBJECTS}`);
  // One page of 500 in the middle, as a paginating client asks.
  t = performance.now();
  await s.list('/registry/pods/', { limit: 500, startAfter: key(Math.floor(OBJECTS / 2)) });
  const pageMs = performance.now() - t;

  // Watch delivery: write → onEvent, sequentially.
  const watchLat: number[] = [];
  let resolve: (() => void) | undefined;
  const w = s.watch(
    '/registry/pods/',
    await s.currentRevision(),
    () => resolve?.(),
    () => {},
  );
  await new Promise((r) => setTimeout(r, 200));
  for (let n = 0; n < 500; n++) {
    const i = n % OBJECTS;
    const got = new Promise<void>((r) => (resolve = r));
    const t0 = performance.now();
    revs[i] = (await s.update(key(i), pod(i), revs[i]!)).modRevision;
    await got;
    watchLat.push(performance.now() - t0);
  }
  w.close();

  const f = (x: number) => x.toFixed(0).padStart(9);
  const g = (x: number) => x.toFixed(3).padStart(8);
  return (
    `${name.padEnd(8)}${f(createPerS)}${f(getPerS)}${f(get32PerS)}${g(pct(lat, 0.5))}${g(pct(lat, 0.99))}` +
    `${listMs.toFixed(0).padStart(9)}${pageMs.toFixed(1).padStart(9)}${g(pct(watchLat, 0.5))}${g(pct(watchLat, 0.99))}`
  );
}

const dir = mkdtempSync(join(tmpdir(), 'corral-bench-storage-'));
let etcd: EtcdServer | undefined;
const lines: string[] = [];
try {
  if (!only || only.includes('sqlite')) {
    const s = await openStorage(`sqlite:${join(dir, 'bench.db')}`, { progressIntervalMs: 0 });
    try {
      lines.push(await bench('sqlite', s));
    } finally {
      await s.close();
    }
  }
  if (!only || only.includes('etcd')) {
    if (!etcdInstalled()) lines.push('etcd    skipped: /usr/bin/etcd is not installed');
    else {
      etcd = await startEtcd(60_000);
      const s = await openStorage(`etcd://${etcd.endpoint}`);
      try {
        lines.push(await bench('etcd', s));
      } finally {
        await s.close();
      }
    }
  }
} finally {
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`api storage, ${OBJECTS} objects of ~1 KB (ms for latencies)`);
console.log(
  `${'backend'.padEnd(8)}${'create/s'.padStart(9)}${'get/s'.padStart(9)}${'get/s@32'.padStart(9)}` +
    `${'upd p50'.padStart(8)}${'upd p99'.padStart(8)}${'list ms'.padStart(9)}${'page500'.padStart(9)}${'watch50'.padStart(8)}${'watch99'.padStart(8)}`,
);
for (const l of lines) console.log(l);
