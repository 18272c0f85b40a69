// Layers: whiteouts and opaque dirs hide lower content (overlay and copy fallback), layers are
// unpacked once and shared, and prune frees what nothing uses.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ImageError, ImageStore, prepareRootfs } from '../../src/image/index.js';
import { busyboxLayer, dir, file, isRoot, tempDir, writeOciLayout } from './support.js';

/** An OCI archive (a tar of an OCI layout) with a base image and one that deletes from it. */
function archive(t: { after: (fn: () => void) => void }): { path: string; digests: string[] } {
  const tmp = tempDir(t);
  const layout = join(tmp, 'layout');
  const base = [
    ...busyboxLayer(),
    file('etc/keep', 'kept\n'),
    file('etc/gone', 'should be hidden\n'),
    dir('etc/gonedir'),
    file('etc/gonedir/x', 'x'),
    dir('data'),
    file('data/a', 'a'),
    dir('data/sub'),
    file('data/sub/b', 'b'),
  ];
  const top = [
    dir('etc'),
    file('etc/.wh.gone', ''),
    file('etc/.wh.gonedir', ''),
    dir('data'),
    file('data/.wh..wh..opq', ''),
    file('data/c', 'c'),
    file('etc/new', 'new\n', 0o600),
  ];
  const digests = writeOciLayout(layout, [
    { refName: 'test/base:1', layers: [base] },
    { refName: 'test/top:1', layers: [base, top], plainLayers: [1] },
  ]);
  const path = join(tmp, 'images.tar');
  execFileSync('tar', ['-cf', path, '-C', layout, '.']);
  return { path, digests };
}

for (const driver of ['overlay', 'copy'] as const) {
  test(`whiteouts and opaque dirs hide lower content (${driver})`, { skip: !isRoot }, async (t) => {
    const store = new ImageStore(tempDir(t));
    const { path } = archive(t);
    const imported = await store.import(path);
    assert.deepEqual(
      imported.map((i) => i.names),
      [['docker.io/test/base:1'], ['docker.io/test/top:1']],
    );
    const top = await store.resolve('test/top:1');
    const fs = await prepareRootfs(store, top, 'wh', { driver });
    t.after(() => fs.release());
    assert.equal(fs.driver, driver);
    const r = fs.rootfs;
    assert.equal(readFileSync(join(r, 'etc/keep'), 'utf8'), 'kept\n');
    assert.equal(existsSync(join(r, 'etc/gone')), false);
    assert.equal(existsSync(join(r, 'etc/gonedir')), false);
    assert.deepEqual(readdirSync(join(r, 'data')), ['c']);
    assert.equal(readFileSync(join(r, 'etc/new'), 'utf8'), 'new\n');
    assert.ok(existsSync(join(r, 'bin/sh')));
    // The base image still sees everything: layers are shared, not modified.
    const base = await store.resolve('test/base:1');
    const fs2 = await prepareRootfs(store, base, 'base', { driver });
    t.after(() => fs2.release());
    assert.equal(readFileSync(join(fs2.rootfs, 'etc/gone'), 'utf8'), 'should be hidden\n');
    assert.deepEqual(readdirSync(join(fs2.rootfs, 'data')).sort(), ['a', 'sub']);
    // Writes stay in the container.
    writeFileSync(join(r, 'etc/keep'), 'changed');
    assert.equal(readFileSync(join(fs2.rootfs, 'etc/keep'), 'utf8'), 'kept\n');
    // One unpacked dir per distinct layer.
    assert.equal(readdirSync(store.layersDir).filter((f) => !f.startsWith('.')).length, 2);
    await fs.release();
    await fs2.release();
    assert.equal(existsSync(join(store.dataDir, 'containers', 'wh')), false);
  });
}

test('a layer whose content does not match its diffID is refused', { skip: !isRoot }, async (t) => {
  const tmp = tempDir(t);
  const layout = join(tmp, 'layout');
  const [md] = writeOciLayout(layout, [{ refName: 'test/bad:1', layers: [[file('a', 'a')]] }]);
  // Rewrite the config with a wrong diffID (and fix the manifest and index to match).
  const blobs = join(layout, 'blobs', 'sha256');
  const m = JSON.parse(readFileSync(join(blobs, md!.slice(7)), 'utf8'));
  const cfg = JSON.parse(readFileSync(join(blobs, m.config.digest.slice(7)), 'utf8'));
  cfg.rootfs.diff_ids = ['sha256:' + '0'.repeat(64)];
  const { createHash } = await import('node:crypto');
  const put = (b: Buffer): string => {
    const h = createHash('sha256').update(b).digest('hex');
    writeFileSync(join(blobs, h), b);
    return `sha256:${h}`;
  };
  const cb = Buffer.from(JSON.stringify(cfg));
  m.config = { ...m.config, digest: put(cb), size: cb.length };
  const mb = Buffer.from(JSON.stringify(m));
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: m.mediaType,
          digest: put(mb),
          size: mb.length,
          annotations: { 'org.opencontainers.image.ref.name': 'test/bad:1' },
        },
      ],
    }),
  );
  execFileSync('tar', ['-cf', join(tmp, 'bad.tar'), '-C', layout, '.']);
  const store = new ImageStore(tempDir(t));
  await assert.rejects(
    store.import(join(tmp, 'bad.tar')),
    (e: unknown) => e instanceof ImageError && /diffID mismatch/.test(e.message),
  );
  await assert.rejects(store.resolve('test/bad:1'), /not found/);
  assert.deepEqual(
    readdirSync(store.layersDir).filter((f) => !f.startsWith('.tmp-') || true),
    [],
  );
});

test('rm untags; prune frees what no image or container uses', { skip: !isRoot }, async (t) => {
  const store = new ImageStore(tempDir(t));
  const { path } = archive(t);
  await store.import(path);
  await store.ensureBuiltins();
  const top = await store.resolve('test/top:1');
  // A resolved image's manifest and config are kept by digest (not re-read and re-hashed).
  const metaDir = join(store.dataDir, 'image-meta');
  const kept = (): string[] => (existsSync(metaDir) ? readdirSync(metaDir).sort() : []);
  assert.ok(kept().includes(`${top.digest.slice(7)}.json`), kept().join());
  assert.deepEqual((await new ImageStore(store.dataDir).resolve('test/top:1')).config, top.config);
  const fs = await prepareRootfs(store, top, 'keep', { driver: 'overlay' });
  t.after(() => fs.release());
  await store.remove('test/top:1');
  await store.remove('test/base:1');
  await assert.rejects(store.resolve('test/top:1'), /not found/);
  // The container still uses both layers of test/top: they stay; its blobs go.
  const r1 = await store.prune();
  assert.ok(r1.blobs >= 4, JSON.stringify(r1));
  assert.ok(!kept().includes(`${top.digest.slice(7)}.json`), 'a pruned image keeps no metadata');
  assert.equal(r1.layers, 0);
  assert.equal(readFileSync(join(fs.rootfs, 'etc/keep'), 'utf8'), 'kept\n');
  await fs.release();
  const r2 = await store.prune();
  assert.equal(r2.layers, 2);
  // The built-in image is untouched and still runs from the store.
  const bb = await store.resolve('busybox');
  const fs3 = await prepareRootfs(store, bb, 'bb');
  t.after(() => fs3.release());
  assert.ok(existsSync(join(fs3.rootfs, 'bin/busybox')));
  assert.equal(readdirSync(store.layersDir).length, 1);
});

for (const driver of ['overlay', 'copy'] as const) {
  test(
    `layers cannot write or delete through a symlink out of the rootfs (${driver})`,
    { skip: !isRoot },
    async (t) => {
      const host = tempDir(t, 'corral-host-');
      writeFileSync(join(host, 'canary'), 'alive');
      const tmp = tempDir(t);
      const layout = join(tmp, 'layout');
      writeOciLayout(layout, [
        {
          refName: 'test/evil:1',
          layers: [
            [{ name: 'lnk', type: 'symlink', mode: 0o777, linkname: host }],
            [
              dir('lnk'),
              file('lnk/.wh.canary', ''),
              { name: 's', type: 'symlink', mode: 0o777, linkname: host },
              file('s/evil', 'x'),
            ],
          ],
        },
      ]);
      execFileSync('tar', ['-cf', join(tmp, 'evil.tar'), '-C', layout, '.']);
      const store = new ImageStore(tempDir(t));
      const [img] = await store.import(join(tmp, 'evil.tar'));
      const fs = await prepareRootfs(store, img!, 'evil', { driver });
      t.after(() => fs.release());
      assert.equal(readFileSync(join(host, 'canary'), 'utf8'), 'alive');
      assert.deepEqual(readdirSync(host), ['canary']);
      // lnk is now the upper layer's directory; its whiteout has nothing to hide. (overlayfs shows
      // a whiteout in a directory that is not merged with a lower one as the 0:0 device it is.)
      const c = join(fs.rootfs, 'lnk', 'canary');
      assert.ok(!existsSync(c) || lstatSync(c).isCharacterDevice());
      assert.deepEqual(readdirSync(join(fs.rootfs, 's')), ['evil']);
    },
  );
}
