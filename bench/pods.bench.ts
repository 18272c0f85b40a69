// Pod startup and idle overhead: Corral's node agent against `podman pod create` + `podman run
// -d --pod` doing the same, in the same run. Nothing asserts a timing.
//
//   npm run bench:pods -- [--iterations 10] [--pods 50] [--only corral,podman]
//
// Startup: from writing the manifest (Corral; the agent watches its directory) or starting
// `podman pod create` (podman) until every container of the pod runs (Corral: its container has a
// running instance, which its status then reports; podman: `podman run -d` returned). One pod at
// a time (--iterations), then --pods pods at once (all manifests written together / all podman
// chains started together), each pod timed from the batch start. Memory: with the --pods pods
// idle, the host memory the pods add per pod, as PSS (and RSS) from /proc/<pid>/smaps_rollup: Corral = pause process + its
// parent (the pause's helper; the agent's spawner, counted once, where the pause is the helper
// itself) + the helper of each container + the agent's own growth / pods; podman = infra process
// (catatonit) + one conmon per container. The workload (busybox sleep) is the same on both sides and left out. podman's
// infra is its own pause image (catatonit, built locally on the first pod: in the warm-up).
//
// podman runs with private storage, cgroupfs below our own cgroup, --network none, file events
// and rlimits it may set (test/peers/podman.ts explains each), and runc.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NodeAgent } from '../src/node/agent.js';
import { procStat } from '../src/oci/proc.js';
import { removeCgroupTree } from '../test/support/cgroup-root.js';
import { RUNC } from '../test/peers/crun.js';
import { Podman, unmountBelow } from '../test/peers/podman.js';

interface Options {
  iterations: number;
  pods: number;
  only?: Set<string>;
}

function fail(msg: string): never {
  process.stderr.write(`pods.bench: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { iterations: 10, pods: 50 };
  const int = (flag: string, v: string | undefined): number => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < 1)
      fail(`${flag} needs a whole number ≥ 1, e.g. ${flag} 10`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--iterations') o.iterations = int(a, argv[++i]);
    else if (a === '--pods') o.pods = int(a, argv[++i]);
    else if (a === '--only') o.only = new Set((argv[++i] ?? '').split(',').filter(Boolean));
    else fail(`unknown option ${a} (see the header of bench/pods.bench.ts)`);
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** PSS and RSS in KiB of a process (0 when gone). */
function mem(pid: number): { pss: number; rss: number } {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(t)?.[1] ?? 0);
    return { pss: kb('Pss'), rss: kb('Rss') };
  } catch {
    return { pss: 0, rss: 0 };
  }
}

const sum = (pids: number[]) =>
  pids.map(mem).reduce((a, b) => ({ pss: a.pss + b.pss, rss: a.rss + b.rss }), { pss: 0, rss: 0 });

interface Result {
  one: number[];
  many: number[];
  /** KiB per idle pod. */
  perPod: { pss: number; rss: number };
  /** CPU ms per pod of the batch start (Corral only): the agent's process, the children it
   *  reaped (mount, umount...), and the live processes of each pod (pause, helpers, the
   *  container's setup before it exec'd sleep). */
  cpuPerPod?: { agent: number; pods: number };
}

/** utime+stime (+ cutime+cstime with `children`) of a process in ms (0 when gone). */
function cpuMs(pid: number | 'self', children = false): number {
  try {
    const t = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

/** CPU time of a single-threaded process in ms, to the nanosecond (/proc/PID/schedstat's first
 *  field): a pod's processes use less than the 10 ms tick /proc/PID/stat counts in. */
function taskCpuMs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return cpuMs(pid);
  }
}

const manifest = (name: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: busybox, command: [sleep, '3600']}
`;

async function benchCorral(o: Options, scratch: string): Promise<Result> {
  const manifests = join(scratch, 'manifests');
  mkdirSync(manifests, { recursive: true });
  const cgroupRoot = `corral-bench-pods-${process.pid}`;
  const agent = new NodeAgent({
    dataDir: join(scratch, 'corral'),
    manifestsDir: manifests,
    cgroupRoot,
    evictionHard: '',
  });
  // Whether the pod's container runs: a lookup, not a status of every pod (which the polling
  // below would compute hundreds of times, loading the agent it measures).
  const running = (name: string) => !!agent.worker(name)?.running('c');
  const gone = async (names: string[]) => {
    for (const n of names) rmSync(join(manifests, `${n}.yaml`), { force: true });
    while (agent.pods().some((p) => names.includes(p.name))) await sleep(20);
    await agent.settled();
  };
  try {
    await agent.start();
    const one: number[] = [];
    for (let i = -1; i < o.iterations; i++) {
      const name = `one-${i + 1}`;
      const t0 = performance.now();
      writeFileSync(join(manifests, `${name}.yaml`), manifest(name));
      while (!running(name)) await sleep(2);
      if (i >= 0) one.push(performance.now() - t0); // the first run warms up
      await gone([name]);
    }
    const names = Array.from({ length: o.pods }, (_, i) => `many-${i}`);
    const before = mem(process.pid);
    const cpu0 = cpuMs('self', true);
    const t0 = performance.now();
    for (const n of names) writeFileSync(join(manifests, `${n}.yaml`), manifest(n));
    const done = new Map<string, number>();
    while (done.size < names.length) {
      const now = performance.now() - t0;
      for (const n of names) if (!done.has(n) && running(n)) done.set(n, now);
      await sleep(2);
    }
    // What the agent reports then (status, as the kubelet's): every container running.
    for (const p of agent.pods())
      if (names.includes(p.name) && !p.status.containerStatuses.every((c) => c.state.running))
        throw new Error(`pod ${p.name}: running by the agent's worker, not by its status`);
    const cpuAgent = cpuMs('self', true) - cpu0;
    await sleep(2000); // idle
    // A set: where the pause is the helper itself, its parent is the spawner every pod shares.
    const pids = new Set<number>();
    let cpuPods = 0;
    for (const n of names) {
      const w = agent.worker(n)!;
      const pause = w.sandboxPid!;
      const ctr = w.running('c')!.pid;
      for (const p of [pause, procStat(pause)?.ppid ?? 0, procStat(ctr)?.ppid ?? 0]) pids.add(p);
      cpuPods += taskCpuMs(ctr);
    }
    cpuPods += [...pids].filter((p) => p > 1).reduce((a, p) => a + taskCpuMs(p), 0);
    const after = mem(process.pid);
    const m = sum([...pids].filter((p) => p > 1));
    const perPod = {
      pss: (m.pss + Math.max(0, after.pss - before.pss)) / o.pods,
      rss: (m.rss + Math.max(0, after.rss - before.rss)) / o.pods,
    };
    await gone(names);
    const cpuPerPod = { agent: cpuAgent / o.pods, pods: cpuPods / o.pods };
    return { one, many: [...done.values()], perPod, cpuPerPod };
  } finally {
    await agent.shutdown({ stopPods: true }).catch(() => undefined);
    await removeCgroupTree(cgroupRoot);
  }
}

async function benchPodman(o: Options): Promise<Result> {
  const p = Podman.create({ runtime: RUNC, storageDriver: 'overlay' });
  try {
    const image = await p.importBusybox();
    // `pod create` has no --ulimit: the infra container gets the limits this host allows (see
    // test/peers/podman.ts) from containers.conf.
    const limits = p.runFlags().filter((_, i, a) => a[i - 1] === '--ulimit');
    appendFileSync(
      join(p.dir, 'containers.conf'),
      `[containers]\ndefault_ulimits = [${limits.map((l) => JSON.stringify(l)).join(', ')}]\n`,
    );
    const ok = async (args: string[]) => {
      const r = await p.exec(args);
      if (r.code !== 0) throw new Error(`podman ${args.slice(0, 3).join(' ')}: ${r.stderr.trim()}`);
      return r.stdout.trim();
    };
    const podUp = async (name: string) => {
      await ok(['pod', 'create', '--name', name, '--network', 'none', '--cgroup-parent', p.cgroupParent]);
      await ok([
        'run',
        '-d',
        '--pod',
        name,
        '--name',
        `${name}-c`,
        ...p.runFlags().slice(4),
        image,
        'sleep',
        '3600',
      ]);
    };
    const podDown = (names: string[]) => ok(['pod', 'rm', '--force', '--time', '0', ...names]);
    const one: number[] = [];
    for (let i = -1; i < o.iterations; i++) {
      const name = `one-${i + 1}`;
      const t0 = performance.now();
      await podUp(name);
      if (i >= 0) one.push(performance.now() - t0);
      await podDown([name]);
    }
    const names = Array.from({ length: o.pods }, (_, i) => `many-${i}`);
    const t0 = performance.now();
    const many = await Promise.all(names.map((n) => podUp(n).then(() => performance.now() - t0)));
    await sleep(2000);
    const pids: number[] = [];
    for (const n of names) {
      const infra = await ok(['pod', 'inspect', '--format', '{{.InfraContainerID}}', n]);
      const out = await ok([
        'container',
        'inspect',
        '--format',
        '{{.State.Pid}} {{.State.ConmonPid}}',
        infra,
        `${n}-c`,
      ]);
      const [infraPid, infraConmon, , ctrConmon] = out.split(/\s+/).map(Number);
      pids.push(infraPid!, infraConmon!, ctrConmon!);
    }
    const m = sum(pids.filter((x) => x > 1));
    await podDown(names);
    return { one, many, perPod: { pss: m.pss / o.pods, rss: m.rss / o.pods } };
  } finally {
    const problems = await p.cleanup();
    if (problems.length) process.stderr.write(`pods.bench: podman cleanup: ${problems.join('; ')}\n`);
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) fail('needs root (pods with cgroups and namespaces)');
  const scratch = mkdtempSync(join(tmpdir(), 'corral-pods-bench-'));
  const results = new Map<string, Result>();
  try {
    if (!o.only || o.only.has('corral')) results.set('corral', await benchCorral(o, scratch));
    if (!o.only || o.only.has('podman')) results.set('podman', await benchPodman(o));
  } finally {
    unmountBelow(scratch);
    rmSync(scratch, { recursive: true, force: true });
  }
  const f = (x: number) => x.toFixed(0).padStart(7);
  const ref = results.get('corral');
  process.stdout.write(
    `manifest → all containers running, ms; idle host overhead per pod, KiB (${o.pods} pods idle)\n` +
      `${'subject'.padEnd(8)} ${'1:p50'.padStart(7)} ${'1:p99'.padStart(7)} ${`${o.pods}:p50`.padStart(7)} ${`${o.pods}:p99`.padStart(7)} ${'PSS'.padStart(7)} ${'RSS'.padStart(7)}\n`,
  );
  for (const [name, r] of results) {
    process.stdout.write(
      `${name.padEnd(8)} ${f(pct(r.one, 0.5))} ${f(pct(r.one, 0.99))} ${f(pct(r.many, 0.5))} ${f(pct(r.many, 0.99))} ${f(r.perPod.pss)} ${f(r.perPod.rss)}\n`,
    );
  }
  if (ref?.cpuPerPod)
    process.stdout.write(
      `corral CPU per pod (${o.pods} at once): agent ${ref.cpuPerPod.agent.toFixed(1)} ms ` +
        `(own + reaped children), pod processes ${ref.cpuPerPod.pods.toFixed(1)} ms\n`,
    );
  const pod = results.get('podman');
  if (ref && pod) {
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    process.stdout.write(
      `podman / corral: 1 pod p50 ${ratio(pct(pod.one, 0.5), pct(ref.one, 0.5))}, ` +
        `${o.pods} pods p99 ${ratio(pct(pod.many, 0.99), pct(ref.many, 0.99))}, ` +
        `PSS per pod ${ratio(pod.perPod.pss, ref.perPod.pss)} (> 1: podman slower / bigger)\n`,
    );
  }
  if (ref)
    process.stdout.write(
      `targets: ${o.pods} pods p99 ≤ 1000 ms: ${pct(ref.many, 0.99) <= 1000 ? 'met' : 'missed'}; ` +
        `≤ 2 MiB per idle pod (PSS): ${ref.perPod.pss <= 2048 ? 'met' : 'missed'}\n`,
    );
}

main().catch((e) => fail((e as Error).message));
