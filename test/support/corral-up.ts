// `corral up` as the kubectl acceptance tests start it: a data directory and a cgroup root of the
// test's own, the one-machine cluster in a child process, kubectl pointed at the kubeconfig it
// writes (with a private HOME and cache), and everything removed after the test, also when it
// fails.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execProgram, type ExecResult } from '../peers/exec.js';
import { unmountBelow } from '../peers/podman.js';
import { removeCgroupTree } from './cgroup-root.js';

/** The CLI of the build this file belongs to (dist/ or another --outDir). */
export const CORRAL_MAIN = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

export async function waitUntil(what: string, fn: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface CorralUp {
  base: string;
  dataDir: string;
  /** The cgroup root it runs its pods below (CORRAL_CGROUP_ROOT). */
  cgroupRoot: string;
  child: ChildProcess;
  exited: Promise<void>;
  /** What the process printed so far. */
  out(): string;
  err(): string;
  /** kubectl's environment: the cluster's kubeconfig, a HOME and a cache below `base`. */
  env: NodeJS.ProcessEnv;
  kubectl(args: string[], input?: string): Promise<ExecResult>;
}

/**
 * Start `corral up --listen 127.0.0.1:0 --node-name NODE --stop-pods ARGS...` for the test `t`
 * (`name` names its directory and cgroup root) and wait until the cluster runs and its node is
 * Ready. After the test: `beforeStop` (what the test started against it), then SIGTERM (its
 * --stop-pods removes the pods; SIGKILL after 30 s), mounts below its directory, its cgroup tree
 * and the directory go. CORRAL_TEST_DEBUG=1 prints what it logged.
 */
export async function startCorralUp(
  t: TestContext,
  o: { name: string; nodeName: string; args: string[]; beforeStop?: () => void },
): Promise<CorralUp> {
  const base = mkdtempSync(join(tmpdir(), `corral-${o.name}-`));
  const dataDir = join(base, 'data');
  const cgroupRoot = `corral-${o.name}-test-${process.pid}`;
  const child = spawn(
    process.execPath,
    [
      CORRAL_MAIN,
      '--data-dir',
      dataDir,
      'up',
      '--listen',
      '127.0.0.1:0',
      '--node-name',
      o.nodeName,
      '--stop-pods',
      ...o.args,
    ],
    { env: { ...process.env, CORRAL_CGROUP_ROOT: cgroupRoot }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  t.after(async () => {
    if (process.env.CORRAL_TEST_DEBUG) process.stderr.write(err);
    o.beforeStop?.();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    unmountBelow(base);
    await removeCgroupTree(cgroupRoot);
    rmSync(base, { recursive: true, force: true });
  });
  await waitUntil(
    'corral up to start',
    async () => out.includes('the cluster is running') || child.exitCode !== null,
  );
  assert.equal(child.exitCode, null, `corral up exited: ${err}`);
  const env = {
    ...process.env,
    KUBECONFIG: join(dataDir, 'kubeconfig'),
    HOME: base,
    KUBECACHEDIR: join(base, 'kube-cache'),
  };
  const kubectl = (args: string[], input?: string) =>
    execProgram('kubectl', args, { env, timeoutMs: 90_000, ...(input !== undefined ? { input } : {}) });
  const ready = new RegExp(`${o.nodeName}\\s+Ready`);
  await waitUntil('the node to be Ready', async () => ready.test((await kubectl(['get', 'nodes'])).stdout));
  return { base, dataDir, cgroupRoot, child, exited, out: () => out, err: () => err, env, kubectl };
}
