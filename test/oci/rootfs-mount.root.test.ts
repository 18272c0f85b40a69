// A mount at "/" is the root filesystem: the helper mounts it onto root.path in the container's
// own mount namespace (an overlay here), so the container sees it while the host never has it.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundle, capture, isRoot, runtime, uniqueId } from './support.js';

const skip = !isRoot && 'needs root';

const hostMounts = (): string[] =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '');

test('an overlay mount at / becomes the root, mounted only inside the container', { skip }, async (t) => {
  const rt = runtime(t);
  // The busybox tree is the overlay's lower dir; root.path is an empty directory.
  const b = bundle(t, [
    'sh',
    '-c',
    'echo written > /new && cat /lower-marker && grep " / / " /proc/self/mountinfo | grep -c overlay',
  ]);
  writeFileSync(join(b.rootfs, 'lower-marker'), 'from the lower dir\n');
  const upper = join(b.dir, 'upper');
  const work = join(b.dir, 'work');
  const root = join(b.dir, 'root');
  for (const d of [upper, work, root]) mkdirSync(d);
  b.spec.root = { path: root, readonly: false };
  b.spec.mounts = [
    {
      destination: '/',
      type: 'overlay',
      source: 'overlay',
      options: [`lowerdir=${b.rootfs}`, `upperdir=${upper}`, `workdir=${work}`],
    },
    ...(b.spec.mounts ?? []),
  ];
  b.write();
  const out = capture(t);
  const id = uniqueId();
  let seenOnHost = false;
  const code = await rt.run(id, b.dir, {
    stdio: ['ignore', out.fd, out.fd],
    onCreated: () => (seenOnHost = hostMounts().includes(root)),
  });
  assert.equal(code, 0, out.read());
  assert.equal(out.read(), 'from the lower dir\n1\n');
  assert.equal(seenOnHost, false, 'the host never has the overlay mounted');
  assert.equal(hostMounts().includes(root), false);
  // The write went to the upper dir; the lower and the host's root dir are untouched.
  assert.equal(readFileSync(join(upper, 'new'), 'utf8'), 'written\n');
  assert.deepEqual(readdirSync(root), []);
});

test('a bind mount at / is refused with the field named', { skip }, async (t) => {
  const rt = runtime(t);
  const b = bundle(t, ['true']);
  b.spec.mounts = [
    { destination: '/', type: 'bind', source: b.rootfs, options: ['rbind'] },
    ...(b.spec.mounts ?? []),
  ];
  b.write();
  await assert.rejects(
    rt.run(uniqueId(), b.dir, { stdio: ['ignore', 'ignore', 'ignore'] }),
    /mounts\[0\].*bind/,
  );
});
