// `corral run --rm busybox true` against `podman run --rm` of the same image (the built-in busybox
// rootfs imported into podman), end to end as a user types them: CLI start, image resolution,
// root filesystem (overlay for both), container setup, the run, cleanup. Subjects are interleaved
// (each iteration runs every subject once, in rotating order) so machine noise hits them alike.
// Nothing asserts a timing.
//
//   npm run bench:run -- [--iterations 20] [--warmup 2] [--only corral,podman-runc,podman-crun]
//                        [--corral PATH]   (another `corral` to measure: default native/corral, the
//                                           front; a .js file runs with node, e.g. bin/corral.js)
//
// podman needs, on this machine (test/peers/podman.ts explains each): private storage
// (--root/--runroot/--tmpdir under a temp dir), --cgroup-manager cgroupfs with a --cgroup-parent
// below our own cgroup, --network none, --events-backend file, rlimits it may set. Corral runs
// with --network none by default too (a fresh network namespace with lo up, as podman's none).
// NODE_EXTRA_CA_CERTS is removed from every child's environment (it costs each node start here).
import { existsSync, mkdtempSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCgroups } from '../src/kernel/cgroup/index.js';
import { envWithoutExtraCa } from '../test/peers/exec.js';
import { RUNC, writeCrunWrapper } from '../test/peers/crun.js';
import { Podman, unmountBelow } from '../test/peers/podman.js';
import { stats, timedSpawn, ms } from './measure.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..'); // dist/bench → repo
// The command users run: the front (native/corral, built by the install step), else the Node CLI.
const FRONT = join(repo, 'native/corral');
const CORRAL = existsSync(FRONT) ? FRONT : join(repo, 'bin/corral.js');

interface Options {
  iterations: number;
  warmup: number;
  only?: Set<string>;
  corral: string;
}

function fail(msg: string): never {
  process.stderr.write(`run.bench: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { iterations: 20, warmup: 2, corral: CORRAL };
  const int = (flag: string, v: string | undefined): number => {
    if (v === undefined || !/^\d+$/.test(v)) fail(`${flag} needs a whole number, e.g. ${flag} 20`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--iterations') o.iterations = int(a, argv[++i]);
    else if (a === '--warmup') o.warmup = int(a, argv[++i]);
    else if (a === '--only') o.only = new Set((argv[++i] ?? '').split(',').filter(Boolean));
    else if (a === '--corral') {
      const p = argv[++i];
      if (!p || !existsSync(p))
        fail('--corral needs the path of a corral executable script, e.g. bin/corral.js');
      o.corral = resolve(p);
    } else fail(`unknown option ${a} (see the header of bench/run.bench.ts)`);
  }
  if (o.iterations < 1) fail('--iterations must be at least 1');
  return o;
}

interface Subject {
  name: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) fail('needs root (containers with cgroups and namespaces)');
  const scratch = mkdtempSync(join(tmpdir(), 'corral-run-bench-'));
  const env = envWithoutExtraCa();
  const podmen: Podman[] = [];
  const cgroupRoot = `corral-bench-${process.pid}`;
  const subjects: Subject[] = [];
  try {
    const want = (n: string) => !o.only || o.only.has(n);
    const dataDir = join(scratch, 'corral');
    if (want('corral')) {
      subjects.push({
        name: 'corral',
        argv: [
          ...(/\.c?js$/.test(o.corral) ? [process.execPath] : []),
          o.corral,
          ...['--data-dir', dataDir, 'run', '--rm', 'busybox', 'true'],
        ],
        env: { ...env, CORRAL_CGROUP_ROOT: cgroupRoot },
      });
    }
    const runtimes: [string, () => string][] = [
      ['podman-runc', () => RUNC],
      ['podman-crun', () => writeCrunWrapper(join(scratch, 'crun'))],
    ];
    for (const [name, runtime] of runtimes) {
      if (!want(name)) continue;
      const p = Podman.create({ runtime: runtime(), storageDriver: 'overlay' });
      podmen.push(p);
      const image = await p.importBusybox();
      subjects.push({
        name,
        argv: p.argv(['run', '--rm', ...p.runFlags(), image, 'true']),
        env: p.podmanEnv(),
      });
    }
    if (!subjects.length) fail('--only selected no subject (corral, podman-runc, podman-crun)');
    const log = join(scratch, 'out.log');
    const times = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
    for (let i = -o.warmup; i < o.iterations; i++) {
      const order = subjects.map((_, k) => subjects[(k + Math.max(i, 0)) % subjects.length]!);
      for (const s of order) {
        const t = await timedSpawn(s.argv, s.env, log);
        if (i >= 0) times.get(s.name)!.push(t);
      }
    }
    const ref = times.get('corral') ? stats(times.get('corral')!).median : undefined;
    process.stdout.write(
      `run --rm busybox true, ${o.iterations} iterations (+${o.warmup} warm-up), ms\n` +
        `${'subject'.padEnd(14)} ${'min'.padStart(8)} ${'median'.padStart(8)} ${'p90'.padStart(8)}  vs corral\n`,
    );
    for (const s of subjects) {
      const st = stats(times.get(s.name)!);
      const ratio = ref ? `${(st.median / ref).toFixed(2)}x` : '-';
      process.stdout.write(
        `${s.name.padEnd(14)} ${ms(st.min)} ${ms(st.median)} ${ms(st.p90)}  ${ratio.padStart(8)}\n`,
      );
    }
    if (ref) process.stdout.write('(ratio > 1: the peer is slower than corral)\n');
  } finally {
    for (const p of podmen) {
      const problems = await p.cleanup();
      if (problems.length) process.stderr.write(`run.bench: podman cleanup: ${problems.join('; ')}\n`);
    }
    // corral removed its containers (--rm); its cgroup root for this run is left empty.
    for (const d of Object.values(openCgroups({ root: cgroupRoot }).manager('probe').dirs())) {
      try {
        rmdirSync(dirname(d));
      } catch {
        /* never created, or not empty */
      }
    }
    unmountBelow(scratch);
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
