// The `corral` CLI against a private instance: its own data dir and cgroup root (CORRAL_CGROUP_ROOT,
// below our own cgroup), both removed afterwards with every container, monitor, mount and cgroup
// in them, also when the test fails. leftovers() lists what a command left behind.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../src/engine/engine.js';
import { envWithoutExtraCa, execProgram, type ExecResult } from '../peers/exec.js';
import { cgroupRootDirs, removeCgroupTree } from '../support/cgroup-root.js';
import { unmountBelow } from '../peers/podman.js';

export const isRoot = process.getuid?.() === 0;
// The CLI of the same build as this test (dist/test/cli → dist/src/cli; a private --outDir alike).
export const CORRAL_MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
// The command users run: the front (native/corral), which runs the repository's bin/corral.js.
export const CORRAL_FRONT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../native/corral');

type After = { after: (fn: () => void | Promise<void>) => void };

let seq = 0;

/**
 * `corral ARGS | head`, its reader already gone: runs `node main.js ARGS` into a pipe whose reader
 * has exited, and resolves with what the shell saw, `status N` on stderr (141 is quiet SIGPIPE).
 */
export function withReaderGone(args: string[], env: NodeJS.ProcessEnv): Promise<ExecResult> {
  return execProgram(
    'sh',
    ['-c', '(sleep 0.3; "$@"; echo "status $?" >&2) | true', 'sh', process.execPath, CORRAL_MAIN, ...args],
    { env, timeoutMs: 20_000 },
  );
}

export interface Instance {
  dataDir: string;
  cgroupRoot: string;
  env: NodeJS.ProcessEnv;
  /** `corral --data-dir D <args>`. */
  corral(args: string[], o?: { input?: string; timeoutMs?: number }): Promise<ExecResult>;
  /** The same through the front, native/corral. */
  front(
    args: string[],
    o?: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv },
  ): Promise<ExecResult>;
  engine(): Engine;
  /** Container dirs, names, runtime states, mounts and cgroups that exist now. */
  leftovers(): string[];
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
    await removeCgroupTree(cgroupRoot);
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
    front: (args, o = {}) =>
      execProgram(CORRAL_FRONT, ['--data-dir', dataDir, ...args], {
        env: { ...env, ...o.env },
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
