// USER[:GROUP] resolution against a rootfs's /etc/passwd and /etc/group.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineError } from '../../src/engine/errors.js';
import { resolveUser } from '../../src/engine/user.js';

function rootfs(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'corral-user-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'etc'));
  writeFileSync(
    join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n',
  );
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\napp:x:1000:\nstaff:x:50:app\nwheel:x:10:root,app\n');
  return dir;
}

test('names resolve through passwd and group, with supplementary groups', (t) => {
  const r = rootfs(t);
  assert.deepEqual(resolveUser(r, 'app'), {
    uid: 1000,
    gid: 1000,
    additionalGids: [50, 10],
    home: '/home/app',
    name: 'app',
  });
  assert.deepEqual(resolveUser(r, 'app:staff'), {
    uid: 1000,
    gid: 50,
    additionalGids: [],
    home: '/home/app',
    name: 'app',
  });
});

test('numbers need no entry; the gid defaults to the entry or 0', (t) => {
  const r = rootfs(t);
  assert.equal(resolveUser(r, '1000').gid, 1000);
  assert.deepEqual(resolveUser(r, '4242'), { uid: 4242, gid: 0, additionalGids: [] });
  assert.deepEqual(resolveUser(r, '4242:7'), { uid: 4242, gid: 7, additionalGids: [] });
});

test('unknown names fail with the fix', (t) => {
  const r = rootfs(t);
  assert.throws(
    () => resolveUser(r, 'nobody'),
    (e: unknown) => e instanceof EngineError && /no user "nobody"/.test(e.message),
  );
  assert.throws(() => resolveUser(r, 'app:nogroup'), /no group "nogroup"/);
});

test('a symlinked /etc/passwd is not followed (it could point at a host file)', (t) => {
  const r = rootfs(t);
  const host = mkdtempSync(join(tmpdir(), 'corral-user-host-'));
  t.after(() => rmSync(host, { recursive: true, force: true }));
  writeFileSync(join(host, 'passwd'), 'evil:x:0:0::/:/bin/sh\n');
  rmSync(join(r, 'etc/passwd'));
  symlinkSync(join(host, 'passwd'), join(r, 'etc/passwd'));
  assert.throws(() => resolveUser(r, 'evil'), /no user "evil"/);
});
