// The API server through HTTP: `corral server` runs as its own process on a free loopback port,
// over SQLite (a tmp data dir) and over a throwaway /usr/bin/etcd on loopback. By default in the
// configuration a user gets (`--mode tls`): HTTPS, the admin's client certificate from the
// kubeconfig the server writes, the RBAC authorizer chain and the default admission chain;
// `--mode insecure-http` measures `corral server --insecure-http` (plain HTTP, every caller admin,
// AlwaysAllow; same admission chain). With 10k pods stored it measures GET of one pod, LIST of the
// 1,000 pods of a namespace, create, update (PUT at the current resourceVersion) and the fan-out
// of a write to 500 watch streams (write sent → event read by every watcher). The in-process
// controllers run as always (the scheduler marks the stored pods unschedulable meanwhile: there
// are no nodes). The load generator is this process, on the same cores as the server: a pool of
// `--concurrency` keep-alive connections (HTTPS with the client certificate, or plain HTTP) and
// as many workers in a closed loop (so that many requests in flight at most), every phase bounded
// by a count and a deadline. Its HTTP/1.1 client is a lean one (bench/api-conn.ts: one write per
// request, responses framed by Content-Length or chunked), as cheap per request as Go's client
// that kubectl uses; Node's http.Agent/ClientRequest cost the generator about as much CPU per GET
// as the server's whole handling of it, and took that CPU from the server. Watch streams use
// Node's client. Latencies are client-side (request sent → body read). Nothing asserts a timing.
//
//   npm run bench:api -- [--objects 10000] [--concurrency 16] [--seconds 8] [--watchers 500]
//                        [--only sqlite,etcd] [--mode tls|insecure-http]
//                        [--phases get,list,create,update,watch]   (the fill always runs)
//                        [--no-settle] [--cpu-prof DIR]   (DIR gets the server's .cpuprofile)
//
// After the fill the bench waits until the server idles (the scheduler marking the pods), unless
// --no-settle: then that background work runs during the first phases. `µs cpu/op` is the server
// process's CPU time during a phase divided by its operations (background work included);
// `client µs` the same for this process (the load generator).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir, uptime } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { etcdInstalled, startEtcd, type EtcdServer } from '../test/api/storage/etcd-server.js';
import {
  Client,
  closedLoop,
  openWatchers,
  percentile,
  type ClientTls,
  type PhaseResult,
} from './api-load.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const OBJECTS = Number(arg('objects') ?? 10_000);
const LISTED = Math.min(1000, OBJECTS);
const CONCURRENCY = Number(arg('concurrency') ?? 16);
const PHASE_MS = Number(arg('seconds') ?? 8) * 1000;
const WATCHERS = Number(arg('watchers') ?? 500);
const FANOUT_WRITES = 100;
const only = arg('only')?.split(',');
const cpuProf = arg('cpu-prof');
const SETTLE = !process.argv.includes('--no-settle');
const MODE = arg('mode') ?? 'tls';
if (MODE !== 'tls' && MODE !== 'insecure-http') {
  console.error(`--mode: "${MODE}" is not a mode; use tls (the default configuration) or insecure-http`);
  process.exit(2);
}
const PHASES = ['get', 'list', 'create', 'update', 'watch'];
const phases = arg('phases')?.split(',') ?? PHASES;
for (const p of phases) {
  if (!PHASES.includes(p)) {
    console.error(`--phases: "${p}" is not a phase; use a comma-separated list of ${PHASES.join(', ')}`);
    process.exit(2);
  }
}

const load = () =>
  `uptime ${(uptime() / 3600).toFixed(1)} h, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;

interface Server {
  url: URL;
  child: ChildProcess;
  /** With --mode tls: the admin's credentials from the kubeconfig the server wrote. */
  tls?: ClientTls;
  stop(): Promise<void>;
}

/** The CA and the admin's client certificate and key from DATA_DIR/kubeconfig (JSON). */
function adminCredentials(dir: string): ClientTls {
  const cfg = JSON.parse(readFileSync(join(dir, 'kubeconfig'), 'utf8')) as {
    clusters: { cluster: Record<string, string> }[];
    users: { user: Record<string, string> }[];
  };
  const b64 = (v: string | undefined, what: string) => {
    if (!v) throw new Error(`${dir}/kubeconfig has no ${what}`);
    return Buffer.from(v, 'base64').toString();
  };
  return {
    ca: b64(cfg.clusters[0]?.cluster['certificate-authority-data'], 'certificate-authority-data'),
    cert: b64(cfg.users[0]?.user['client-certificate-data'], 'client-certificate-data'),
    key: b64(cfg.users[0]?.user['client-key-data'], 'client-key-data'),
  };
}

async function startServer(dir: string, datastore: string): Promise<Server> {
  const nodeArgs = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${resolve(cpuProf)}`] : [];
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      MAIN,
      '--data-dir',
      dir,
      'server',
      '--listen',
      '127.0.0.1:0',
      ...(MODE === 'insecure-http' ? ['--insecure-http'] : []),
      '--datastore',
      datastore,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      // SIGTERM: the server exits cleanly (and writes its CPU profile).
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
  };
  try {
    const url = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`corral server did not start in 30 s: ${log}`)), 30_000);
      child.stderr!.on('data', (d: Buffer) => {
        log = (log + d.toString()).slice(-4000);
        const m = /serving the Kubernetes API at (\S+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          res(m[1]!);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        rej(new Error(`corral server exited with ${code}: ${log}`));
      });
    });
    return { url: new URL(url), child, stop, tls: MODE === 'tls' ? adminCredentials(dir) : undefined };
  } catch (e) {
    await stop();
    throw e;
  }
}

type Pod = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; labels: Record<string, string> };
  [k: string]: unknown;
};

/** A ~1.2 KB pod, as stored: containers with env and resources, labels, an annotation. */
function pod(ns: string, name: string, i: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      labels: { app: `app-${i % 50}`, tier: i % 2 ? 'web' : 'db' },
      annotations: { 'bench.corral.dev/note': 'n'.repeat(300) },
    } as Pod['metadata'],
    spec: {
      containers: [
        {
          name: 'main',
          image: 'registry.example/busybox:1.36',
          command: ['sleep', '3600'],
          env: [
            { name: 'INDEX', value: String(i) },
            { name: 'MODE', value: 'bench' },
          ],
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
        },
      ],
      restartPolicy: 'Always',
    },
  };
}

interface Row {
  op: string;
  r: PhaseResult;
  /** Items per op (list) for the note. */
  note?: string;
  /** The server process's CPU time (user + system) during the phase, in ms. */
  cpuMs?: number;
  /** This process's (the load generator's) CPU time during the phase, in ms. */
  clientCpuMs?: number;
}

/** CPU time (user + system) of a process so far, in ms, from /proc (USER_HZ is 100 on Linux). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command start at field 3; utime and stime are 14 and 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/**
 * The server's CPU time per operation is steadier than throughput on a shared machine: other
 * processes take turns on the cores, but not the server's own work.
 */
async function measure(pid: number, run: () => Promise<Row>): Promise<Row> {
  const c0 = cpuMs(pid);
  const own = process.cpuUsage();
  const row = await run();
  row.cpuMs = cpuMs(pid) - c0;
  const d = process.cpuUsage(own);
  row.clientCpuMs = (d.user + d.system) / 1000;
  return row;
}

/**
 * Waits (at most 180 s) until the server used under 30% of a core in each of two consecutive 2 s
 * windows (the scheduler's periodic pass over every pod stays below that; marking pods does not);
 * the seconds waited.
 */
async function settle(pid: number): Promise<number> {
  const t0 = performance.now();
  let last = cpuMs(pid);
  let quiet = 0;
  while (performance.now() - t0 < 180_000 && quiet < 2) {
    await new Promise((r) => setTimeout(r, 2000));
    const now = cpuMs(pid);
    quiet = now - last < 600 ? quiet + 1 : 0;
    last = now;
  }
  return (performance.now() - t0) / 1000;
}

async function benchBackend(name: string, datastore: string, dir: string): Promise<Row[]> {
  const server = await startServer(dir, datastore);
  const c = new Client(server.url, CONCURRENCY, server.tls);
  const rows: Row[] = [];
  try {
    for (const ns of ['bench-fill', 'bench-list', 'bench-create', 'bench-watch'])
      await c.json('POST', '/api/v1/namespaces', { metadata: { name: ns } });
    const podsPath = (ns: string) => `/api/v1/namespaces/${ns}/pods`;

    // Fill: LISTED pods in bench-list, the rest in bench-fill (kept for the update phase).
    const filled: Pod[] = [];
    const pid = server.child.pid!;
    rows.push(
      await measure(pid, async () => {
        const fill = await closedLoop(CONCURRENCY, OBJECTS, 600_000, async (i) => {
          const ns = i < LISTED ? 'bench-list' : 'bench-fill';
          const o = await c.json<Pod>('POST', podsPath(ns), pod(ns, `pod-${i}`, i));
          if (ns === 'bench-fill') filled.push(o);
        });
        if (fill.errors) throw new Error(`fill: ${fill.errors} errors, first: ${fill.firstError}`);
        return { op: `create (fill 0→${OBJECTS / 1000}k)`, r: fill };
      }),
    );
    if (SETTLE) {
      // The scheduler marks every filled pod unschedulable (there are no nodes): let it finish,
      // so that the phases below measure their own requests.
      const s = await settle(pid);
      rows.at(-1)!.note = `then ${s.toFixed(1)} s until the server idled`;
    }

    if (phases.includes('get'))
      rows.push(
        await measure(pid, async () => ({
          op: 'get one pod',
          r: await closedLoop(CONCURRENCY, 100_000, PHASE_MS, async (i) => {
            const n = LISTED + ((i * 7919) % (OBJECTS - LISTED));
            const r = await c.request('GET', `${podsPath('bench-fill')}/pod-${n}`);
            if (r.status !== 200) throw new Error(`GET: ${r.status}`);
          }),
        })),
      );

    const listConcurrency = Math.min(CONCURRENCY, 4);
    if (phases.includes('list'))
      rows.push(
        await measure(pid, async () => ({
          op: `list ${LISTED} pods (c=${listConcurrency})`,
          r: await closedLoop(listConcurrency, 2_000, PHASE_MS, async () => {
            const l = await c.json<{ items: unknown[] }>('GET', podsPath('bench-list'));
            if (l.items.length !== LISTED) throw new Error(`LIST returned ${l.items.length} of ${LISTED}`);
          }),
        })),
      );

    if (phases.includes('create'))
      rows.push(
        await measure(pid, async () => ({
          op: 'create',
          r: await closedLoop(CONCURRENCY, 50_000, PHASE_MS, async (i) => {
            const r = await c.request('POST', podsPath('bench-create'), pod('bench-create', `new-${i}`, i));
            if (r.status !== 201) throw new Error(`POST: ${r.status} ${r.body.toString().slice(0, 200)}`);
          }),
        })),
      );

    if (phases.includes('update')) rows.push(await measure(pid, () => update(c, filled)));
    if (phases.includes('watch')) rows.push(await measure(pid, () => fanout(c, server.url, server.tls)));
  } finally {
    c.close();
    await server.stop();
  }
  return rows;
}

/** Every pod of a namespace, read in pages of 500 as informers and kubectl list. */
async function listAll(c: Client, ns: string): Promise<Pod[]> {
  const items: Pod[] = [];
  let cont = '';
  do {
    const page = await c.json<{ items: Pod[]; metadata: { continue?: string } }>(
      'GET',
      `/api/v1/namespaces/${ns}/pods?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
    );
    items.push(...page.items);
    cont = page.metadata.continue ?? '';
  } while (cont);
  return items;
}

/**
 * PUT with the resourceVersion last seen; workers touch distinct pods (i mod N). In-process
 * controllers (the scheduler marks unschedulable pods) write pods too: start from a fresh list
 * (paged, so no 15 MB response and its GC aftermath lands in the first writes' latencies), and
 * on a 409 read the pod and PUT again (counted in the note).
 */
async function update(c: Client, filled: Pod[]): Promise<Row> {
  const path = (name: string | undefined) => `/api/v1/namespaces/bench-fill/pods/${name}`;
  filled.splice(0, filled.length, ...(await listAll(c, 'bench-fill')));
  let conflicts = 0;
  const r = await closedLoop(CONCURRENCY, 50_000, PHASE_MS, async (i) => {
    const k = i % filled.length;
    let cur = filled[k]!;
    for (let attempt = 0; ; attempt++) {
      cur.metadata.labels.round = String(i);
      const r = await c.request('PUT', path(cur.metadata.name), cur);
      if (r.status === 200) {
        filled[k] = JSON.parse(r.body.toString()) as Pod;
        return;
      }
      if (r.status !== 409 || attempt > 3)
        throw new Error(`PUT: ${r.status} ${r.body.toString().slice(0, 200)}`);
      conflicts++;
      cur = await c.json<Pod>('GET', path(cur.metadata.name));
    }
  });
  return { op: 'update (PUT)', r, note: `${conflicts} conflicts retried` };
}

/**
 * WATCHERS watch streams on one namespace; FANOUT_WRITES creates there, one after another: each
 * sample is the time from sending the create to the event having been read by every watcher.
 */
async function fanout(c: Client, base: URL, tls: ClientTls | undefined): Promise<Row> {
  const path = '/api/v1/namespaces/bench-watch/pods';
  const { metadata } = await c.json<{ metadata: { resourceVersion: string } }>('GET', `${path}?limit=1`);
  let want = '';
  let seen = 0;
  let done: (() => void) | undefined;
  let delivered = 0;
  const w = await openWatchers(
    base,
    `${path}?watch=1&resourceVersion=${metadata.resourceVersion}&timeoutSeconds=600`,
    WATCHERS,
    (_w, line) => {
      delivered++;
      // The name is enough to tell the event without parsing every line.
      if (want && line.includes(want) && ++seen === WATCHERS) done?.();
    },
    tls,
  );
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  try {
    for (let i = 0; i < FANOUT_WRITES && performance.now() - t0 < 60_000; i++) {
      want = `"name":"watched-${i}"`;
      seen = 0;
      const all = new Promise<void>((res, rej) => {
        done = res;
        setTimeout(
          () => rej(new Error(`only ${seen} of ${WATCHERS} watchers got the event in 10 s`)),
          10_000,
        );
      });
      const s = performance.now();
      try {
        await c.json('POST', path, pod('bench-watch', `watched-${i}`, i));
        await all;
        latencies.push(performance.now() - s);
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message;
      }
    }
  } finally {
    w.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    op: `watch fan-out ×${WATCHERS}`,
    r: { ops: latencies.length, errors, firstError, seconds, latencies },
    note: `${Math.round(delivered / seconds)} events/s delivered`,
  };
}

function table(name: string, rows: Row[]): string[] {
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-').padStart(9);
  const perOp = (ms: number | undefined, ops: number) =>
    f(ms === undefined || !ops ? NaN : (ms * 1000) / ops, 0);
  return rows.map(({ op, r, note, cpuMs, clientCpuMs }) =>
    [
      name.padEnd(7),
      op.padEnd(26),
      String(r.ops).padStart(7),
      String(r.errors).padStart(5),
      f(percentile(r.latencies, 0.5)),
      f(percentile(r.latencies, 0.99)),
      f(r.ops / r.seconds, 0),
      perOp(cpuMs, r.ops),
      perOp(clientCpuMs, r.ops),
      note ? `  ${note}` : r.firstError ? `  first error: ${r.firstError.slice(0, 120)}` : '',
    ].join(' '),
  );
}

const work = mkdtempSync(join(tmpdir(), 'corral-bench-api-'));
let etcd: EtcdServer | undefined;
const lines: string[] = [];
const startLoad = load();
const stopAll = () => {
  rmSync(work, { recursive: true, force: true });
};
process.once('SIGINT', () => {
  void etcd?.stop().finally(() => {
    stopAll();
    process.exit(130);
  });
});
try {
  if (!only || only.includes('sqlite')) {
    lines.push(...table('sqlite', await benchBackend('sqlite', 'sqlite', join(work, 'sqlite'))));
  }
  if (!only || only.includes('etcd')) {
    if (!etcdInstalled()) lines.push('etcd    skipped: /usr/bin/etcd is not installed');
    else {
      etcd = await startEtcd(5_000);
      lines.push(...table('etcd', await benchBackend('etcd', `etcd://${etcd.endpoint}`, join(work, 'etcd'))));
    }
  }
} finally {
  await etcd?.stop();
  stopAll();
}
const how =
  MODE === 'tls'
    ? 'HTTPS, admin client certificate, RBAC authorizer (default configuration)'
    : 'plain HTTP (--insecure-http: every caller admin, AlwaysAllow)';
console.log(
  `api over ${how}; ${OBJECTS} pods stored, ${CONCURRENCY} keep-alive connections (closed loop), ` +
    `${PHASE_MS / 1000} s per phase, latencies in ms (client side)`,
);
console.log(`before: ${startLoad}; after: ${load()}`);
console.log(
  [
    'backend'.padEnd(7),
    'operation'.padEnd(26),
    'n'.padStart(7),
    'err'.padStart(5),
    'p50'.padStart(9),
    'p99'.padStart(9),
    'ops/s'.padStart(9),
    'µs cpu/op'.padStart(9),
    'client µs'.padStart(9),
  ].join(' '),
);
for (const l of lines) console.log(l);
