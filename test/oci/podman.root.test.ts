// podman runs containers with corral-oci as its OCI runtime (conmon calls it like runc:
// create/start/state/kill/delete, --console-socket for -t). Peers' flags for this machine are in
// test/peers/podman.ts. To check this harness against a reference runtime instead, run it with
// CORRAL_PODMAN_RUNTIME=/usr/sbin/runc (or =crun for crun behind its hybrid-cgroup wrapper).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Podman, BUSYBOX_IMAGE } from '../peers/podman.js';
import { writeCrunWrapper } from '../peers/crun.js';
import { execProgram } from '../peers/exec.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..'); // dist/test/oci → repo
// What an engine is given: the C front (it runs bin/corral-oci.js for all but a plain start/delete).
const corralOci = join(repo, 'native/corral-oci');
const corralMain = join(repo, 'dist/src/cli/oci/main.js');

describe('podman --runtime corral-oci', { skip: process.getuid?.() !== 0 && 'needs root' }, () => {
  let scratch: string;
  let podman: Podman;

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'corral-podman-test-'));
    const choice = process.env.CORRAL_PODMAN_RUNTIME;
    let runtime: string;
    if (choice === 'crun') {
      runtime = writeCrunWrapper(join(scratch, 'crun'));
    } else if (choice) {
      runtime = choice;
    } else {
      for (const f of [corralMain, corralOci]) {
        if (!existsSync(f)) throw new Error(`corral-oci is not built: ${f} is missing (npm run build)`);
      }
      // conmon execs the runtime by absolute path; the front finds node on PATH, pinned here to
      // the node running the tests.
      runtime = join(scratch, 'corral-oci');
      writeFileSync(runtime, `#!/bin/sh\nCORRAL_OCI_NODE=${process.execPath} exec ${corralOci} "$@"\n`, {
        mode: 0o755,
      });
    }
    podman = Podman.create({ runtime });
    await podman.importBusybox();
  });

  after(async () => {
    const problems = podman ? await podman.cleanup() : [];
    rmSync(scratch, { recursive: true, force: true });
    assert.deepEqual(problems, [], 'podman cleanup left things behind');
  });

  const show = (r: { code: number | null; stdout: string; stderr: string }) =>
    `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

  test('run --rm IMAGE true exits 0', async () => {
    const r = await podman.run(BUSYBOX_IMAGE, ['true']);
    assert.equal(r.code, 0, show(r));
  });

  test("run --rm IMAGE sh -c 'exit 3' exits 3", async () => {
    const r = await podman.run(BUSYBOX_IMAGE, ['sh', '-c', 'exit 3']);
    assert.equal(r.code, 3, show(r));
  });

  test('the container output reaches podman stdout', async () => {
    const r = await podman.run(BUSYBOX_IMAGE, ['sh', '-c', 'cat /etc/hostname; echo; echo out-$((6*7))']);
    assert.equal(r.code, 0, show(r));
    const [hostname, out] = r.stdout.trim().split('\n');
    assert.match(hostname ?? '', /^[0-9a-f]{12}$/, `podman sets the hostname to the short id; ${show(r)}`);
    assert.equal(out, 'out-42', show(r));
  });

  test('run -it gives the container a terminal', async () => {
    const cmd = [...podman.argv(['run', '-it', '--rm', ...podman.runFlags(), BUSYBOX_IMAGE])]
      // The pause after the output: conmon drains the pty when the container exits, and the
      // kernel hands pty output over asynchronously, so a container that exits at once may lose
      // its last line with any runtime (podman's known short-lived -t race), not only this one.
      .concat(['sh', '-c', 'tty && echo hi-from-tty && sleep 0.3'])
      .map(shellQuote)
      .join(' ');
    // script(1) gives podman a pty as its stdin/stdout, as an interactive shell would.
    const r = await execProgram('script', ['-qec', cmd, '/dev/null'], {
      env: podman.podmanEnv(),
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /\/dev\/pts\/\d+/, `tty names a pty; ${show(r)}`);
    assert.match(r.stdout, /hi-from-tty\r?\n/, show(r));
  });
});

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
