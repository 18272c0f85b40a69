// kubectl exec -it and kubectl attach against `corral up` (API server + node agent), with the real
// kubectl under a real pty (util-linux script): the command gets its own /dev/pts/N, the size kubectl
// sends on channel 4, later resizes; attach streams output until the container ends and refuses -i.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { removeCgroupTree } from '../../support/cgroup-root.js';
import { execProgram } from '../../peers/exec.js';
import { unmountBelow } from '../../peers/podman.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '../../../src/cli/main.js');
const isRoot = process.getuid?.() === 0;
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

async function waitFor(what: string, fn: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test(
  'kubectl exec -it and attach through corral up',
  {
    skip:
      (!isRoot && 'needs root') ||
      (!existsSync('/usr/bin/kubectl') && 'kubectl is not installed') ||
      (!existsSync('/usr/bin/script') && 'util-linux script is not installed'),
    timeout: 240_000,
  },
  async (t) => {
    const base = mkdtempSync(join(tmpdir(), 'corral-tty-'));
    const dataDir = join(base, 'data');
    const cgroupRoot = `corral-tty-test-${process.pid}`;
    const child = spawn(
      process.execPath,
      [MAIN, '--data-dir', dataDir, 'up', '--listen', '127.0.0.1:0', '--node-name', 'tty-node'].concat([
        '--stop-pods',
        '--network',
        'none',
      ]),
      { env: { ...process.env, CORRAL_CGROUP_ROOT: cgroupRoot }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    t.after(async () => {
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
    await waitFor('corral up', async () => out.includes('the cluster is running') || child.exitCode !== null);
    assert.equal(child.exitCode, null, `corral up exited: ${err}`);
    const env = {
      ...process.env,
      KUBECONFIG: join(dataDir, 'kubeconfig'),
      HOME: base,
      KUBECACHEDIR: join(base, 'kube-cache'),
    };
    const kubectl = (args: string[]) => execProgram('kubectl', args, { env, timeoutMs: 90_000 });
    /** kubectl in a pty of `rows`x`cols`, typing what `feed` prints; output without \r. */
    const inPty = async (args: string, feed = 'sleep 0') => {
      const inner = `stty rows 40 cols 100; kubectl ${args}`;
      const r = await execProgram('sh', ['-c', `(${feed}) | script -q -e -c ${q(inner)} /dev/null`], {
        env,
        timeoutMs: 90_000,
      });
      return { ...r, stdout: r.stdout.replace(/\r/g, '') };
    };
    await waitFor('the node to be Ready', async () =>
      /tty-node\s+Ready/.test((await kubectl(['get', 'nodes'])).stdout),
    );
    const run = await kubectl(['run', 'p', '--image=busybox', '--restart=Never', '--', 'sleep', '3600']);
    assert.equal(run.code, 0, run.stderr);
    await waitFor('pod p Running', async () => /Running/.test((await kubectl(['get', 'pod', 'p'])).stdout));

    await t.test('exec -it: own pty, the terminal size from channel 4, exit code', async () => {
      const r = await inPty(`exec -it p -- sh -c ${q('tty; stty size; exit 3')}`);
      assert.equal(r.code, 3, r.stderr + r.stdout);
      assert.match(r.stdout, /(?:^|\^@)\/dev\/pts\/\d+$/m);
      assert.match(r.stdout, /^(?:\^@)?40 100$/m);
    });

    await t.test('exec -it: a resize of the terminal arrives as a resize event', async () => {
      const script = `stty rows 40 cols 100; (sleep 3; stty rows 33 cols 77 </dev/tty) & kubectl exec -it p -- sh -c ${q('sleep 6; stty size')}`;
      const r = await execProgram('sh', ['-c', `true | script -q -e -c ${q(script)} /dev/null`], {
        env,
        timeoutMs: 90_000,
      });
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout.replace(/\r/g, ''), /(?:^|\^@)33 77$/m); // script may echo its ^@ first
    });

    await t.test('exec -it: typed input reaches the shell through its terminal', async () => {
      const r = await inPty(
        `exec -it p -- sh -c ${q('read -r l; echo "got:$l"')}`,
        `sleep 3; printf 'typed line\\r'; sleep 2`,
      );
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /^got:typed line$/m);
    });

    await t.test('attach: output from now on until the container ends; -i refused', async () => {
      const mk = await kubectl([
        'run',
        'talk',
        '--image=busybox',
        '--restart=Never',
        '--',
        'sh',
        '-c',
        'echo early; sleep 6; echo late-out; echo late-err >&2; exit 4',
      ]);
      assert.equal(mk.code, 0, mk.stderr);
      await waitFor('pod talk Running', async () =>
        /Running/.test((await kubectl(['get', 'pod', 'talk'])).stdout),
      );
      const refused = await kubectl(['attach', '-i', 'talk']);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /stdin open.*attach without -i/);
      const r = await kubectl(['attach', 'talk']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^late-out$/m);
      assert.doesNotMatch(r.stdout, /early/);
      assert.match(r.stderr, /late-err/);
    });
  },
);
