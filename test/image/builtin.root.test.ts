// The built-in busybox image: reproducible, stored like any image, and it runs.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildBusyboxImage } from '../../src/image/builtin.js';
import { ImageError, ImageStore, prepareRootfs } from '../../src/image/index.js';
import { defaultSpec } from '../../src/oci/defaults/spec-template.js';
import { capture, runtime, uniqueId } from '../oci/support.js';
import { isRoot, tempDir } from './support.js';
import { mkdirSync, writeFileSync } from 'node:fs';

test('the built-in image is reproducible: same busybox, same digests', async (t) => {
  const a = buildBusyboxImage();
  const b = buildBusyboxImage();
  assert.deepEqual(a.layer, b.layer);
  assert.deepEqual(a.manifest, b.manifest);
  const s1 = new ImageStore(tempDir(t));
  const s2 = new ImageStore(tempDir(t));
  await s1.ensureBuiltins();
  await s2.ensureBuiltins();
  const [i1, i2] = [await s1.resolve('busybox'), await s2.resolve('corral.local/busybox')];
  assert.equal(i1.digest, i2.digest);
  assert.deepEqual(i1.names, ['corral.local/busybox:latest', 'docker.io/library/busybox:latest']);
  assert.deepEqual(i1.config.config?.Cmd, ['sh']);
  assert.ok(i1.config.config?.Env?.some((e) => e.startsWith('PATH=')));
  // A second call is a no-op, and the store is a valid OCI layout.
  await s1.ensureBuiltins();
  assert.equal((await s1.list()).length, 1);
  const layout = JSON.parse(readFileSync(join(s1.imagesDir, 'oci-layout'), 'utf8'));
  assert.equal(layout.imageLayoutVersion, '1.0.0');
  for (const f of readdirSync(join(s1.imagesDir, 'blobs', 'sha256'))) assert.match(f, /^[a-f0-9]{64}$/);
});

test('an unknown image is one clear line', async (t) => {
  const s = new ImageStore(tempDir(t));
  await assert.rejects(s.resolve('nosuch:1'), (e: unknown) => {
    assert.ok(e instanceof ImageError);
    assert.equal(
      e.message,
      'image "nosuch:1" not found: pull it with corral image pull nosuch:1 or import it',
    );
    return true;
  });
});

for (const driver of ['overlay', 'copy'] as const) {
  test(`the built-in image runs (${driver})`, { skip: !isRoot }, async (t) => {
    const data = tempDir(t);
    const store = new ImageStore(data);
    const img = await store.resolve('busybox'); // made on first use
    const id = uniqueId('img');
    const fs = await prepareRootfs(store, img, id, { driver });
    t.after(() => fs.release());
    assert.equal(fs.driver, driver);
    assert.equal(fs.rootfs, join(data, 'containers', id, 'rootfs'));
    const bundle = join(data, 'bundle');
    mkdirSync(bundle);
    const spec = defaultSpec({
      args: [
        'sh',
        '-c',
        'echo hello from $(cat /etc/hostname 2>/dev/null || echo busybox); echo x > /written; cat /written',
      ],
      terminal: false,
    });
    spec.root = { path: fs.rootfs, readonly: false };
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    const rt = runtime(t);
    const out = capture(t);
    const code = await rt.run(id, bundle, { stdio: ['ignore', out.fd, out.fd] });
    assert.equal(code, 0, out.read());
    assert.match(out.read(), /hello from/);
    assert.match(out.read(), /^x$/m);
    // The write went to the container's upper dir (or copy), never to the shared layer.
    const layer = store.layerPath(img.layers[0]!);
    assert.throws(() => statSync(join(layer, 'written')));
    await rt.delete(id, { force: true });
    await fs.release();
    assert.throws(() => statSync(join(data, 'containers', id, 'rootfs')));
  });
}
