// `import` of archives written by skopeo (OCI archive and docker archive), also concurrently.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ImageError, ImageStore, prepareRootfs } from '../../src/image/index.js';
import { busyboxLayer, file, has, isRoot, tempDir, writeOciLayout } from './support.js';

const skip = !isRoot || !has('skopeo');

function archives(t: { after: (fn: () => void) => void }): { oci: string; docker: string } {
  const tmp = tempDir(t);
  const layout = join(tmp, 'layout');
  writeOciLayout(layout, [
    {
      refName: 'src',
      layers: [busyboxLayer(), [file('hello.txt', 'hi from a layer\n')]],
      cmd: ['cat', '/hello.txt'],
    },
  ]);
  const oci = join(tmp, 'oci.tar');
  const docker = join(tmp, 'docker.tar');
  execFileSync('skopeo', ['copy', '--quiet', `oci:${layout}:src`, `oci-archive:${oci}:test/app:1`], {
    stdio: 'pipe',
  });
  execFileSync('skopeo', ['copy', '--quiet', `oci:${layout}:src`, `docker-archive:${docker}:test/app:2`], {
    stdio: 'pipe',
  });
  return { oci, docker };
}

test('import an OCI archive and a docker archive written by skopeo', { skip }, async (t) => {
  const { oci, docker } = archives(t);
  const store = new ImageStore(tempDir(t));
  const [a] = await store.import(oci);
  const [b] = await store.import(docker);
  assert.deepEqual(a!.names, ['docker.io/test/app:1']);
  assert.deepEqual(b!.names, ['docker.io/test/app:2']);
  // Same layers (diffIDs), shared on disk.
  assert.deepEqual(a!.layers, b!.layers);
  for (const img of [a!, b!]) {
    assert.deepEqual(img.config.config?.Cmd, ['cat', '/hello.txt']);
    assert.deepEqual(img.config.config?.ExposedPorts, { '80/tcp': {} });
    const r = await store.resolve(img.names[0]!);
    const fs = await prepareRootfs(store, r, `imp-${img.names[0]!.slice(-1)}`);
    t.after(() => fs.release());
    assert.equal(readFileSync(join(fs.rootfs, 'hello.txt'), 'utf8'), 'hi from a layer\n');
  }
  // By ID (a config digest prefix), too.
  assert.equal((await store.resolve(a!.configDigest.slice(7, 19))).digest, a!.digest);
});

test('two imports of the same archive at once leave one consistent image', { skip }, async (t) => {
  const { oci } = archives(t);
  const data = tempDir(t);
  // Two processes (flock excludes across processes) and one more store in this one.
  const script = `import('${join(process.cwd(), 'dist/src/image/index.js')}').then(m => new m.ImageStore(process.argv[1]).import(process.argv[2]))`;
  const child = (): Promise<number> =>
    new Promise((res) => {
      const { spawn } = require_();
      spawn(process.execPath, ['-e', script, data, oci], { stdio: 'inherit' }).once('exit', (c: number) =>
        res(c),
      );
    });
  const [c1, c2] = await Promise.all([child(), child(), new ImageStore(data).import(oci)]);
  assert.equal(c1, 0);
  assert.equal(c2, 0);
  const store = new ImageStore(data);
  const list = await store.list();
  assert.equal(list.length, 1);
  assert.deepEqual(list[0]!.names, ['docker.io/test/app:1']);
  const idx = JSON.parse(readFileSync(join(data, 'images/index.json'), 'utf8'));
  assert.equal(idx.manifests.length, 1);
  const fs = await prepareRootfs(store, list[0]!, 'conc');
  t.after(() => fs.release());
  assert.equal(readFileSync(join(fs.rootfs, 'hello.txt'), 'utf8'), 'hi from a layer\n');
});

test('importing something that is not an image archive is one clear line', { skip: !isRoot }, async (t) => {
  const tmp = tempDir(t);
  const store = new ImageStore(tempDir(t));
  await assert.rejects(
    store.import(join(tmp, 'missing.tar')),
    (e: unknown) => e instanceof ImageError && /no such file/.test(e.message),
  );
  writeFileSync(join(tmp, 'junk.tar'), 'not a tar at all'.repeat(100));
  await assert.rejects(
    store.import(join(tmp, 'junk.tar')),
    (e: unknown) => e instanceof ImageError && /not a tar archive/.test(e.message),
  );
  execFileSync('tar', ['-cf', join(tmp, 'empty.tar'), '-C', tmp, 'junk.tar']);
  await assert.rejects(store.import(join(tmp, 'empty.tar')), /neither an OCI archive/);
});

import { createRequire } from 'node:module';
function require_(): typeof import('node:child_process') {
  return createRequire(import.meta.url)('node:child_process');
}
