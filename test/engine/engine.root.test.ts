// The engine library with an image whose config sets Entrypoint, Cmd, Env, WorkingDir and User:
// a variant of the built-in busybox image (same layers, another config), so the run honours what
// an image says and the flags go over it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine.js';
import { storeBackend, type ImageBackend, type ImageRuntimeConfig } from '../../src/engine/images.js';
import { instance, isRoot } from '../cli/support.js';

const skip = !isRoot && 'needs root';
type After = { after: (fn: () => void | Promise<void>) => void };

function variant(dataDir: string, config: ImageRuntimeConfig): ImageBackend {
  const real = storeBackend(dataDir);
  return {
    async resolve(ref) {
      const img = await real.resolve(ref === 'variant' ? 'busybox' : ref);
      return ref === 'variant' ? { ...img, config: { ...img.config, config } } : img;
    },
    prepareRootfs: (img, id, opts) => real.prepareRootfs(img, id, opts),
  };
}

function output(t: After): { fd: number; read(): string } {
  const dir = mkdtempSync(join(tmpdir(), 'corral-engine-out-'));
  const fd = openSync(join(dir, 'out'), 'w+');
  t.after(() => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });
  return { fd, read: () => readFileSync(join(dir, 'out'), 'utf8') };
}

const IMAGE: ImageRuntimeConfig = {
  Entrypoint: ['/bin/sh', '-c'],
  Cmd: ['echo "$FROM_IMAGE $OVERRIDE"; pwd; id -u; id -g; echo $HOME'],
  Env: ['PATH=/bin', 'FROM_IMAGE=image-env', 'OVERRIDE=image'],
  WorkingDir: '/srv/app',
  User: 'nobody',
};

test('Entrypoint, Cmd, Env, WorkingDir and User come from the image config', { skip }, async (t) => {
  const c = instance(t);
  const engine = new Engine({
    dataDir: c.dataDir,
    cgroupRoot: c.cgroupRoot,
    images: variant(c.dataDir, IMAGE),
  });
  const out = output(t);
  const r = await engine.run({ image: 'variant', cmd: [], rm: true }, ['ignore', out.fd, out.fd]);
  assert.equal(r.exitCode, 0, out.read());
  assert.equal(out.read(), 'image-env image\n/srv/app\n65534\n65534\n/home\n');
  assert.deepEqual(c.leftovers(), []);
});

test('flags go over the image config: -e, -w, -u, the command replaces Cmd', { skip }, async (t) => {
  const c = instance(t);
  const engine = new Engine({
    dataDir: c.dataDir,
    cgroupRoot: c.cgroupRoot,
    images: variant(c.dataDir, IMAGE),
  });
  const out = output(t);
  const r = await engine.run(
    {
      image: 'variant',
      cmd: ['echo "$FROM_IMAGE $OVERRIDE"; pwd; id -u'],
      env: ['OVERRIDE=flag'],
      workdir: '/tmp',
      user: '0',
      rm: true,
    },
    ['ignore', out.fd, out.fd],
  );
  assert.equal(r.exitCode, 0, out.read());
  assert.equal(out.read(), 'image-env flag\n/tmp\n0\n');
});

test('an unknown image User fails the start with 125 and removes what was made', { skip }, async (t) => {
  const c = instance(t);
  const engine = new Engine({
    dataDir: c.dataDir,
    cgroupRoot: c.cgroupRoot,
    images: variant(c.dataDir, { ...IMAGE, User: 'ghost' }),
  });
  await assert.rejects(
    engine.run({ image: 'variant', cmd: [] }, ['ignore', 'ignore', 'ignore']),
    (e: Error & { exitCode?: number }) =>
      e.exitCode === 125 && /image variant: User ghost: no user "ghost"/.test(e.message),
  );
  assert.deepEqual(c.leftovers(), []);
});
