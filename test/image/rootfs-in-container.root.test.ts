// A rootfs left for the runtime to mount in the container (mountIn: 'container'): nothing is
// mounted on the host, the returned overlay options mount the image as the host overlay shows it,
// and files are read through the layers (whiteouts, opaque dirs) exactly as overlayfs shows them;
// directories made before the mount (the working directory) appear as if made in the overlay.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ImageStore, prepareRootfs } from '../../src/image/index.js';
import { resolveUser } from '../../src/image/user.js';
import { busyboxLayer, dir, file, isRoot, tempDir, writeOciLayout } from './support.js';

const mounted = (path: string): boolean =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === path);

const read = (root: string, rel: string): string => {
  try {
    return readFileSync(join(root, rel), 'utf8');
  } catch {
    return '';
  }
};

test(
  'mountIn container: no host mount; options and reads match the overlay',
  { skip: !isRoot },
  async (t) => {
    const tmp = tempDir(t);
    const layout = join(tmp, 'layout');
    const base = [
      ...busyboxLayer(),
      file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n'),
      file('etc/group', 'root:x:0:\napp:x:1000:\nstaff:x:50:app\n'),
      file('etc/keep', 'kept\n'),
      file('etc/gone', 'hidden\n'),
      dir('etc/gonedir'),
      file('etc/gonedir/x', 'x'),
      dir('data'),
      file('data/a', 'a'),
    ];
    const top = [
      dir('etc'),
      file('etc/.wh.gone', ''),
      file('etc/.wh.gonedir', ''),
      file('etc/keep', 'changed\n'),
      dir('data'),
      file('data/.wh..wh..opq', ''),
      file('data/c', 'c'),
    ];
    writeOciLayout(layout, [{ refName: 'test/top:1', layers: [base, top] }]);
    const archive = join(tmp, 'images.tar');
    execFileSync('tar', ['-cf', archive, '-C', layout, '.']);
    const store = new ImageStore(join(tmp, 'data'));
    await store.import(archive);
    const image = await store.resolve('test/top:1');

    const fs = await prepareRootfs(store, image, 'inctr', { mountIn: 'container' });
    t.after(() => fs.release());
    assert.equal(fs.driver, 'overlay');
    assert.ok(fs.mount, 'the overlay is handed to the runtime');
    assert.equal(fs.mount.type, 'overlay');
    assert.equal(mounted(fs.rootfs), false, 'nothing mounted on the host');
    assert.deepEqual(readdirSync(fs.rootfs), []);

    // The same image as the host overlay shows it (the kernel's view), and the options handed out
    // mounted for real.
    const hostFs = await prepareRootfs(store, image, 'view');
    t.after(() => hostFs.release());
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', fs.mount.options.join(','), fs.rootfs]);
    try {
      assert.equal(read(fs.rootfs, 'etc/keep'), 'changed\n');
      assert.ok(existsSync(join(fs.rootfs, 'bin/sh')));
      for (const rel of [
        'etc/keep',
        'etc/gone',
        'etc/gonedir/x',
        'data/a',
        'data/c',
        'etc/passwd',
        'etc/group',
        'nope/x',
      ])
        assert.equal(fs.read(rel.split('/')), read(hostFs.rootfs, rel), rel);
    } finally {
      execFileSync('umount', [fs.rootfs]);
    }
    // The user of a container is resolved through the layers.
    assert.deepEqual(resolveUser(fs.read, 'app'), {
      uid: 1000,
      gid: 1000,
      additionalGids: [50],
      home: '/home/app',
      name: 'app',
    });
    await fs.release();
    assert.equal(existsSync(join(store.dataDir, 'containers', 'inctr')), false);
  },
);

test(
  'mountIn container: ensureDir makes the directory in the upper dir as the overlay shows it',
  { skip: !isRoot },
  async (t) => {
    const tmp = tempDir(t);
    const layout = join(tmp, 'layout');
    const base = [
      ...busyboxLayer(),
      { ...dir('srv', 0o750), uid: 1000, gid: 50 },
      file('srv/keep', 'kept\n'),
      { name: 'link', type: 'symlink' as const, mode: 0o777, linkname: '/outside' },
      dir('gone'),
      file('gone/old', 'old\n'),
    ];
    const top = [file('.wh.gone', '')];
    writeOciLayout(layout, [{ refName: 'test/dirs:1', layers: [base, top] }]);
    const archive = join(tmp, 'images.tar');
    execFileSync('tar', ['-cf', archive, '-C', layout, '.']);
    const store = new ImageStore(join(tmp, 'data'));
    await store.import(archive);
    const image = await store.resolve('test/dirs:1');
    const fs = await prepareRootfs(store, image, 'dirs', { mountIn: 'container' });
    t.after(() => fs.release());
    assert.ok(fs.mount);
    const upper = join(store.dataDir, 'containers', 'dirs', 'upper');

    fs.ensureDir('/srv'); // there already: no copy in the upper dir
    assert.deepEqual(readdirSync(upper), []);
    fs.ensureDir('/srv/app/x');
    fs.ensureDir('/link/y'); // through a symlink: left to the runtime, which resolves it in the container
    fs.ensureDir('/gone/z'); // under a whiteout: a new directory, the old content stays hidden
    assert.deepEqual(readdirSync(upper).sort(), ['gone', 'srv']);

    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', fs.mount.options.join(','), fs.rootfs]);
    try {
      const srv = statSync(join(fs.rootfs, 'srv'));
      assert.deepEqual(
        [srv.mode & 0o7777, srv.uid, srv.gid],
        [0o750, 1000, 50],
        'the parent keeps its owner and mode',
      );
      assert.equal(read(fs.rootfs, 'srv/keep'), 'kept\n');
      const x = statSync(join(fs.rootfs, 'srv/app/x'));
      assert.ok(x.isDirectory());
      assert.deepEqual([x.mode & 0o7777, x.uid], [0o755, 0]);
      assert.ok(lstatSync(join(fs.rootfs, 'link')).isSymbolicLink());
      assert.ok(statSync(join(fs.rootfs, 'gone/z')).isDirectory());
      assert.equal(existsSync(join(fs.rootfs, 'gone/old')), false);
    } finally {
      execFileSync('umount', [fs.rootfs]);
    }
  },
);
