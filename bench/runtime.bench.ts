// How long one short-lived container takes: the same busybox bundle running `true`, taken
// through create → start → wait for the init to exit → delete by corral-oci (the CLI), crun and
// runc (Debian's), and by corral's Runtime class inside this process. All subjects run in the
// same invocation, interleaved (each iteration runs every subject once, in rotating order) so
// machine noise hits them alike. Nothing here asserts a timing.
//
//   npm run bench:runtime -- [--iterations 30] [--warmup 3] [--startup-iterations 20]
//                            [--only corral-oci,corral-oci-node,corral-lib,crun,runc] [--json FILE] [--keep-ca-certs]
//                            [--no-ambient]   (all bundles without runc spec's ambient capabilities)
//
// Fairness:
//  - CLI subjects are spawned the same way (no shell), with the same environment, stdio to a
//    log file; each phase is one process. "wait" polls /proc/<init>/stat (gone or zombie) from
//    here, the same for every CLI; the init is not our child, so there is nothing to waitpid.
//  - NODE_EXTRA_CA_CERTS is removed from the children's environment (this machine sets it and it
//    costs every node start ~38 ms; users' machines don't). --keep-ca-certs keeps it.
//  - crun 1.8 cannot run on this hybrid cgroup layout unless /sys/fs/cgroup/unified is unmounted
//    in its mount namespace (test/peers/crun.ts): each crun call is `nsenter --mount=<held ns>
//    crun ...`. The wrapper alone (nsenter running /bin/true) is measured too, and a
//    "crun − wrapper" line subtracts 3 × its extra cost over spawning /bin/true directly.
//  - The library subject uses Runtime.create({detached:false}) + start + wait + delete: the
//    helper reaps the init and reports its exit, which is how an in-process user waits.
//  - Every container gets linux.cgroupsPath below our own cgroup (see test/peers/cgroup.ts).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { makeBenchBundle } from '../test/peers/bundle.js';
import { crunNeedsUnifiedUnmounted, nestedCgroupsPath, removeCgroupTree } from '../test/peers/cgroup.js';
import { CRUN, RUNC, UnifiedlessMountNs, crunArgv } from '../test/peers/crun.js';
import { envWithoutExtraCa } from '../test/peers/exec.js';
import { makeBusyboxRootfs } from '../test/support/busybox-rootfs.js';
import {
  HEADER,
  cliSubject,
  row,
  stats,
  timeCommands,
  withTimeout,
  ms,
  type Sample,
  type Subject,
} from './measure.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..'); // dist/bench → repo
const CORRAL_OCI = join(repo, 'bin/corral-oci.js');
// The command engines are given (podman --runtime): the C front, which runs the Node CLI for
// everything but a plain start/delete.
const CORRAL_OCI_FRONT = join(repo, 'native/corral-oci');
const CORRAL_LIB = join(repo, 'dist/src/oci/runtime.js');

// ---------- options ----------

interface Options {
  iterations: number;
  warmup: number;
  startupIterations: number;
  only?: Set<string>;
  json?: string;
  keepCaCerts: boolean;
  ambient: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { iterations: 30, warmup: 3, startupIterations: 20, keepCaCerts: false, ambient: true };
  const int = (flag: string, v: string | undefined): number => {
    if (v === undefined || !/^\d+$/.test(v)) fail(`${flag} needs a whole number, e.g. ${flag} 30`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--iterations') o.iterations = int(a, argv[++i]);
    else if (a === '--warmup') o.warmup = int(a, argv[++i]);
    else if (a === '--startup-iterations') o.startupIterations = int(a, argv[++i]);
    else if (a === '--only') o.only = new Set((argv[++i] ?? '').split(',').filter(Boolean));
    else if (a === '--json') o.json = argv[++i] ?? fail('--json needs a file name');
    else if (a === '--keep-ca-certs') o.keepCaCerts = true;
    else if (a === '--no-ambient') o.ambient = false;
    else fail(`unknown option ${a} (see the header of bench/runtime.bench.ts)`);
  }
  if (o.iterations < 1) fail('--iterations must be at least 1');
  return o;
}

function fail(msg: string): never {
  process.stderr.write(`runtime.bench: ${msg}\n`);
  process.exit(2);
}

/** The slice of src/oci/runtime.ts this bench uses (imported at run time: it may not be built). */
interface RuntimeLike {
  create(
    id: string,
    bundle: string,
    o?: { detached?: boolean; stdio?: ('ignore' | 'inherit')[] },
  ): Promise<{ pid: number }>;
  start(id: string): Promise<void>;
  wait(id: string): Promise<number | undefined>;
  delete(id: string, o?: { force?: boolean }): Promise<void>;
}

async function librarySubject(stateRoot: string, bundle: string): Promise<Subject> {
  const mod = (await import(pathToFileURL(CORRAL_LIB).href)) as {
    Runtime: new (o: { root: string }) => RuntimeLike;
  };
  const rt = new mod.Runtime({ root: stateRoot });
  return {
    name: 'corral-lib',
    describe: 'new Runtime() in this process: create({detached:false}) + start + wait + delete',
    async once(id) {
      const t0 = performance.now();
      await withTimeout(
        rt.create(id, bundle, { detached: false, stdio: ['ignore', 'ignore', 'ignore'] }),
        'Runtime.create',
      );
      const t1 = performance.now();
      await withTimeout(rt.start(id), 'Runtime.start');
      const t2 = performance.now();
      const code = await withTimeout(rt.wait(id), 'Runtime.wait');
      const t3 = performance.now();
      await withTimeout(rt.delete(id), 'Runtime.delete');
      const t4 = performance.now();
      if (code !== 0) throw new Error(`corral-lib: container ${id} exited ${code}`);
      return { create: t1 - t0, start: t2 - t1, wait: t3 - t2, delete: t4 - t3, total: t4 - t0 };
    },
    async forget(id) {
      await withTimeout(rt.delete(id, { force: true }), 'Runtime.delete').catch(() => undefined);
    },
  };
}

// ---------- main ----------

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) fail('needs root (it creates namespaces and cgroups)');
  const want = (name: string) => !o.only || o.only.has(name);
  const env = o.keepCaCerts ? { ...process.env } : envWithoutExtraCa();

  const work = mkdtempSync(join(tmpdir(), 'corral-bench-'));
  const cgroupBase = nestedCgroupsPath(`corral-bench-${process.pid}`);
  let ns: UnifiedlessMountNs | undefined;
  const pending = new Map<string, Subject>(); // id → subject, for containers not yet deleted
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    for (const [id, s] of pending) await s.forget(id);
    const left = await removeCgroupTree(cgroupBase);
    await ns?.stop();
    rmSync(work, { recursive: true, force: true });
    if (left.length) process.stderr.write(`runtime.bench: could not remove cgroups: ${left.join(', ')}\n`);
  };
  // First signal: finish the container in flight, skip the rest, clean up (the finally below).
  // A second one: clean up now and exit.
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    process.exitCode = sig === 'SIGINT' ? 130 : 143;
    if (!stopping) {
      stopping = true;
      process.stderr.write(`runtime.bench: ${sig}, stopping after the current container\n`);
      return;
    }
    void cleanup().finally(() => process.exit());
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
    const bundleFor = (name: string) =>
      makeBenchBundle(join(work, `bundle-${name}`), {
        cgroupsPath: `${cgroupBase}/${name}`,
        rootfs,
        ambient: o.ambient,
      });
    const stateRoot = (name: string) => join(work, `state-${name}`);
    const skipped: string[] = [];
    const subjects: Subject[] = [];

    if (want('corral-oci')) {
      if (!existsSync(join(repo, 'dist/src/cli/oci/main.js')))
        skipped.push('corral-oci: dist/src/cli/oci/main.js is not built');
      else if (!existsSync(CORRAL_OCI_FRONT)) skipped.push(`corral-oci: ${CORRAL_OCI_FRONT} is not built`);
      else
        subjects.push(
          cliSubject(
            'corral-oci',
            `${CORRAL_OCI_FRONT} (C front: start/delete itself, the rest by node ${CORRAL_OCI})`,
            [CORRAL_OCI_FRONT],
            stateRoot('corral-oci'),
            bundleFor('corral-oci'),
            env,
            work,
          ),
        );
    }
    if (want('corral-oci-node')) {
      if (existsSync(join(repo, 'dist/src/cli/oci/main.js'))) {
        subjects.push(
          cliSubject(
            'corral-oci-node',
            `${CORRAL_OCI} (shebang node, every verb)`,
            [CORRAL_OCI],
            stateRoot('corral-oci-node'),
            bundleFor('corral-oci-node'),
            env,
            work,
          ),
        );
      } else skipped.push('corral-oci-node: dist/src/cli/oci/main.js is not built');
    }
    if (want('corral-lib')) {
      if (existsSync(CORRAL_LIB)) {
        try {
          subjects.push(await librarySubject(stateRoot('corral-lib'), bundleFor('corral-lib')));
        } catch (err) {
          skipped.push(`corral-lib: ${(err as Error).message.split('\n')[0]}`);
        }
      } else skipped.push('corral-lib: dist/src/oci/runtime.js is not built');
    }
    if (want('crun')) {
      if (existsSync(CRUN)) {
        if (crunNeedsUnifiedUnmounted()) ns = await UnifiedlessMountNs.start();
        const describe = ns ? `${crunArgv(ns).join(' ')} (hybrid workaround)` : CRUN;
        subjects.push(
          cliSubject('crun', describe, crunArgv(ns), stateRoot('crun'), bundleFor('crun'), env, work),
        );
      } else skipped.push(`crun: ${CRUN} is missing`);
    }
    if (want('runc')) {
      if (existsSync(RUNC)) {
        subjects.push(cliSubject('runc', RUNC, [RUNC], stateRoot('runc'), bundleFor('runc'), env, work));
      } else skipped.push(`runc: ${RUNC} is missing`);
    }

    console.log(`# container lifecycle: busybox \`true\`, create + start + wait + delete (ms)`);
    console.log(
      `# ${o.iterations} iterations each after ${o.warmup} warm-up, interleaved; ${env.NODE_EXTRA_CA_CERTS ? 'with' : 'without'} NODE_EXTRA_CA_CERTS${o.ambient ? '' : '; bundles without ambient capabilities'}`,
    );
    for (const s of subjects) console.log(`#   ${s.name}: ${s.describe}`);
    for (const s of skipped) console.log(`#   skipped ${s}`);

    const samples = new Map<string, Sample[]>(subjects.map((s) => [s.name, []]));
    const failures = new Map<string, string>();
    let seq = 0;
    for (let i = -o.warmup; i < o.iterations; i++) {
      const live = subjects.filter((s) => !failures.has(s.name));
      for (let k = 0; k < live.length && !stopping; k++) {
        const s = live[(k + Math.max(i, 0)) % live.length]!;
        const id = `bench-${process.pid}-${s.name}-${seq++}`;
        pending.set(id, s);
        try {
          const sample = await s.once(id);
          pending.delete(id);
          if (i >= 0) samples.get(s.name)!.push(sample);
        } catch (err) {
          failures.set(s.name, (err as Error).message.split('\n').slice(0, 3).join(' | '));
        }
      }
    }

    // Wrapper and spawn costs, measured the same way.
    const probes = [{ name: 'spawn /bin/true', argv: ['/bin/true'], env }];
    if (ns) {
      probes.push({ name: 'nsenter wrapper alone', argv: [...ns.enterArgv(), '/bin/true'], env });
      probes.push({
        name: 'unshare wrapper alone',
        argv: [
          'unshare',
          '-m',
          '--propagation',
          'private',
          'sh',
          '-c',
          'umount /sys/fs/cgroup/unified && exec /bin/true',
        ],
        env,
      });
    }
    const probeTimes = stopping
      ? new Map<string, number[]>()
      : await timeCommands(probes, o.iterations, join(work, 'probe.log'));

    const results: Record<string, unknown> = {};
    const totals = new Map(
      [...samples].filter(([, v]) => v.length).map(([k, v]) => [k, stats(v.map((x) => x.total))]),
    );
    const crunMedian = totals.get('crun')?.median;
    console.log('\n' + HEADER);
    for (const [name, st] of totals) {
      const ph = samples.get(name)!;
      const phase = (p: keyof Sample) => stats(ph.map((x) => x[p])).median.toFixed(1);
      console.log(
        row(
          name,
          st,
          crunMedian,
          `   median create ${phase('create')} start ${phase('start')} wait ${phase('wait')} delete ${phase('delete')}`,
        ),
      );
      results[name] = {
        total: st,
        create: stats(ph.map((x) => x.create)),
        start: stats(ph.map((x) => x.start)),
        wait: stats(ph.map((x) => x.wait)),
        delete: stats(ph.map((x) => x.delete)),
      };
    }
    const spawnTimes = probeTimes.get('spawn /bin/true');
    const nsenter = probeTimes.get('nsenter wrapper alone');
    if (spawnTimes && nsenter && totals.has('crun')) {
      const extra = Math.max(0, stats(nsenter).median - stats(spawnTimes).median);
      const c = totals.get('crun')!;
      console.log(
        `${'crun − 3×wrapper'.padEnd(22)} ${' '.repeat(4)} ${ms(c.min - 3 * extra)} ${ms(c.median - 3 * extra)} ${ms(c.p90 - 3 * extra)} ${ms(c.mean - 3 * extra)}   (wrapper adds ${extra.toFixed(1)} ms per call)`,
      );
      results['crun-minus-wrapper'] = { medianMs: c.median - 3 * extra, wrapperExtraPerCallMs: extra };
    }
    for (const [name, xs] of failures) console.log(`${name.padEnd(22)} FAILED: ${xs}`);
    console.log('\n' + HEADER.replace('  /crun', ''));
    for (const [name, xs] of probeTimes) console.log(row(name, stats(xs)));
    results.probes = Object.fromEntries([...probeTimes].map(([k, v]) => [k, stats(v)]));

    // CLI start-up: what every corral-oci call pays before doing anything.
    const noCa = envWithoutExtraCa();
    const withCa = process.env.NODE_EXTRA_CA_CERTS ? { ...process.env } : undefined;
    const startup: { name: string; argv: string[]; env: NodeJS.ProcessEnv }[] = [];
    if (existsSync(join(repo, 'dist/src/cli/oci/main.js'))) {
      startup.push({ name: 'corral-oci --version', argv: [CORRAL_OCI, '--version'], env: noCa });
      if (withCa)
        startup.push({ name: 'corral-oci (+EXTRA_CA)', argv: [CORRAL_OCI, '--version'], env: withCa });
    }
    startup.push({ name: 'node -e 0', argv: [process.execPath, '-e', '0'], env: noCa });
    if (withCa)
      startup.push({ name: 'node -e 0 (+EXTRA_CA)', argv: [process.execPath, '-e', '0'], env: withCa });
    for (const bin of [CRUN, RUNC]) {
      if (existsSync(bin))
        startup.push({ name: `${bin.split('/').pop()} --version`, argv: [bin, '--version'], env: noCa });
    }
    try {
      if (stopping) throw new Error('interrupted');
      const st = await timeCommands(startup, o.startupIterations, join(work, 'startup.log'));
      console.log(
        `\n# CLI start-up, ${o.startupIterations} runs each; "+EXTRA_CA" = with this machine's NODE_EXTRA_CA_CERTS`,
      );
      console.log(HEADER.replace('  /crun', ''));
      for (const [name, xs] of st) console.log(row(name, stats(xs)));
      results.startup = Object.fromEntries([...st].map(([k, v]) => [k, stats(v)]));
    } catch (err) {
      console.log(`\n# CLI start-up failed: ${(err as Error).message.split('\n')[0]}`);
    }

    if (o.json)
      writeFileSync(
        o.json,
        JSON.stringify(
          {
            options: { ...o, only: o.only && [...o.only] },
            results,
            failures: Object.fromEntries(failures),
            skipped,
          },
          null,
          2,
        ) + '\n',
      );
    if (failures.size) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

await main();
