// The `corral` CLI against a private instance: its own data dir and cgroup root (CORRAL_CGROUP_ROOT,
// below our own cgroup), both removed afterwards with every container, monitor, mount and cgroup
// in them, also when the test fails. leftovers() lists what a command left behind.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../src/engine/engine.js';
import { openCgroups } from '../../src/kernel/cgroup/index.js';
import { envWithoutExtraCa, execProgram, type ExecResult } from '../peers/exec.js';
import { unmountBelow } from '../peers/podman.js';

export const isRoot = process.getuid?.() === 0;
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..'); // dist/test/cli → repo
export const CORRAL_MAIN = join(repo, 'dist/src/cli/main.js');

type After = { after: (fn: () => void | Promise<void>) => void };

let seq = 0;

export interface Instance {
  dataDir: string;
  cgroupRoot: string;
  env: NodeJS.ProcessEnv;
  /** `corral --data-dir D <args>`. */
  corral(args: string[], o?: { input?: string; timeoutMs?: number }): Promise<ExecResult>;
  engine(): Engine;
  /** Container dirs, names, runtime states, mounts and cgroups that exist now. */
  leftovers(): string[];
}

/** The per-hierarchy directories of a cgroup root (they may not exist yet). */
function cgroupRootDirs(root: string): string[] {
  const probe = openCgroups({ root }).manager('probe');
  return [...new Set(Object.values(probe.dirs()).map((d) => dirname(d)))];
}

function procsIn(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function removeCgroupRoot(root: string): Promise<void> {
  for (const top of cgroupRootDirs(root)) {
    if (!existsSync(top)) continue;
    const order: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
      order.push(d);
    };
    walk(top);
    for (const d of order) {
      for (let i = 0; i < 100; i++) {
        for (const pid of procsIn(d)) {
          try {
            process.kill(pid, 'SIGKILL'); // only our containers live below our test root
          } catch {
            /* gone */
          }
        }
        try {
          rmdirSync(d);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  }
}

export function instance(t: After): Instance {
  const dataDir = mkdtempSync(join(tmpdir(), 'corral-cli-'));
  const cgroupRoot = `corral-test-${process.pid}-${++seq}`;
  const env: NodeJS.ProcessEnv = { ...envWithoutExtraCa(), CORRAL_CGROUP_ROOT: cgroupRoot };
  delete env.CORRAL_DATA_DIR;
  const engine = () => new Engine({ dataDir, cgroupRoot });
  t.after(async () => {
    const e = engine();
    for (const id of e.store.ids()) await e.remove(id, true).catch(() => undefined);
    unmountBelow(dataDir);
    await removeCgroupRoot(cgroupRoot);
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    dataDir,
    cgroupRoot,
    env,
    engine,
    corral: (args, o = {}) =>
      execProgram(process.execPath, [CORRAL_MAIN, '--data-dir', dataDir, ...args], {
        env,
        timeoutMs: o.timeoutMs ?? 60_000,
        ...(o.input !== undefined ? { input: o.input } : {}),
      }),
    leftovers() {
      const out: string[] = [];
      const ls = (d: string) => (existsSync(d) ? readdirSync(d) : []);
      for (const c of ls(join(dataDir, 'containers'))) out.push(`container dir ${c}`);
      for (const n of ls(join(dataDir, 'names'))) out.push(`name ${n}`);
      for (const s of ls(join(dataDir, 'runtime')).filter((x) => !x.startsWith('.')))
        out.push(`runtime state ${s}`);
      for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
        const mp = l.split(' ')[4];
        if (mp && mp.startsWith(dataDir + '/')) out.push(`mount ${mp}`);
      }
      for (const top of cgroupRootDirs(cgroupRoot)) {
        for (const e of ls(top).filter((x) => x.startsWith('corral-'))) out.push(`cgroup ${join(top, e)}`);
      }
      return out;
    },
  };
}
