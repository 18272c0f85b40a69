// `pull` against a real docker-registry on loopback (filled by skopeo), through a proxy that
// cuts a layer half-way, and against fake registries that tamper with blobs or demand auth.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { ImageError, ImageStore, prepareRootfs } from '../../src/image/index.js';
import {
  busyboxLayer,
  file,
  freePort,
  has,
  httpServer,
  isRoot,
  layoutRegistry,
  skopeoPush,
  startRegistry,
  tempDir,
  writeOciLayout,
} from './support.js';

const skipRegistry = !isRoot || !has('skopeo') || !existsSync('/usr/bin/docker-registry');

/** An OCI layout with busybox and a 3 MB incompressible layer (so a cut lands mid-blob). */
function testLayout(t: { after: (fn: () => void) => void }): { layout: string; big: Buffer } {
  const layout = join(tempDir(t), 'layout');
  const big = randomBytes(3 << 20);
  writeOciLayout(layout, [
    { refName: 'src', layers: [busyboxLayer(), [{ name: 'big.bin', type: 'file', mode: 0o644, data: big }]] },
  ]);
  return { layout, big };
}

function noImage(store: ImageStore): Promise<void> {
  return store.list().then((l) => assert.deepEqual(l, []));
}

test('pull from a real registry, twice at once, then again as a no-op', { skip: skipRegistry }, async (t) => {
  const reg = await startRegistry(t);
  const { layout, big } = testLayout(t);
  skopeoPush(layout, `${reg.host}/test/busybox:1`);
  const store = new ImageStore(tempDir(t));
  const ref = `${reg.host}/test/busybox:1`;
  const progress: number[] = [];
  const [a, b] = await Promise.all([
    store.pull(ref, { onProgress: (p) => progress.push(p.bytes) }),
    new ImageStore(store.dataDir).pull(ref),
  ]);
  assert.equal(a.digest, b.digest);
  assert.deepEqual(a.names, [ref]);
  assert.ok(progress.length > 0);
  const again = await store.pull(ref);
  assert.equal(again.digest, a.digest);
  assert.equal((await store.list()).length, 1);
  const fs = await prepareRootfs(store, await store.resolve(ref), 'pulled');
  t.after(() => fs.release());
  assert.deepEqual(readFileSync(join(fs.rootfs, 'big.bin')), big);
  assert.ok(existsSync(join(fs.rootfs, 'bin/busybox')));
  // By digest as well.
  const byDigest = await store.pull(`${reg.host}/test/busybox@${a.digest}`);
  assert.equal(byDigest.digest, a.digest);
});

test(
  'a pull cut half-way leaves no image; the next pull resumes and completes',
  { skip: skipRegistry },
  async (t) => {
    const reg = await startRegistry(t);
    const { layout } = testLayout(t);
    skopeoPush(layout, `${reg.host}/test/busybox:1`);
    let cut = true;
    const ranges: string[] = [];
    // A proxy in front of the registry that, while `cut`, sends half of any big blob and hangs up.
    const proxy = await httpServer(t, (req, res) => {
      if (req.headers.range) ranges.push(req.headers.range);
      const up = httpRequest(
        { host: '127.0.0.1', port: reg.port, path: req.url, method: req.method, headers: req.headers },
        (ur) => {
          const len = Number(ur.headers['content-length'] ?? 0);
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          if (cut && req.url?.includes('/blobs/') && len > 1 << 20) {
            let sent = 0;
            ur.on('data', (c: Buffer) => {
              if (sent >= len / 2) return;
              sent += c.length;
              res.write(c);
              if (sent >= len / 2) {
                ur.destroy();
                res.socket?.destroy();
              }
            });
          } else ur.pipe(res);
        },
      );
      req.pipe(up);
    });
    const ref = `127.0.0.1:${proxy.port}/test/busybox:1`;
    const store = new ImageStore(tempDir(t));
    await assert.rejects(store.pull(ref, { retries: 2, backoffMs: 10 }), (e: unknown) => {
      assert.ok(e instanceof ImageError);
      assert.match(e.message, /interrupted after \d+ of \d+ bytes.*run the pull again to resume/);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
    await noImage(store);
    await assert.rejects(store.resolve(ref), /not found/);
    const partial = readdirSync(join(store.imagesDir, 'partial')).filter((f) => !f.endsWith('.lock'));
    assert.equal(partial.length, 1);
    cut = false;
    const img = await store.pull(ref);
    assert.deepEqual(img.names, [ref]);
    assert.ok(
      ranges.some((r) => /^bytes=[1-9]\d*-$/.test(r)),
      `resumed with a Range request: ${ranges}`,
    );
    assert.deepEqual(
      readdirSync(join(store.imagesDir, 'partial')).filter((f) => !f.endsWith('.lock')),
      [],
    );
    const fs = await prepareRootfs(store, img, 'resumed');
    t.after(() => fs.release());
    assert.equal(readFileSync(join(fs.rootfs, 'big.bin')).length, 3 << 20);
  },
);

test('a blob whose content does not match its digest is refused', { skip: !isRoot }, async (t) => {
  const { layout } = testLayout(t);
  const serve = layoutRegistry(layout, 'test/app');
  const srv = await httpServer(t, (req, res) => {
    if (req.url?.includes('/blobs/') && !req.url.includes('busybox')) {
      const digest = req.url.split('/').pop()!;
      const path = join(layout, 'blobs', 'sha256', digest.slice(7));
      const body = readFileSync(path);
      if (body.length > 1 << 20) {
        body[1000] = body[1000]! ^ 0xff; // one flipped byte
        res.writeHead(200, { 'content-length': body.length }).end(body);
        return;
      }
    }
    serve(req, res);
  });
  const store = new ImageStore(tempDir(t));
  await assert.rejects(store.pull(`127.0.0.1:${srv.port}/test/app:1`), (e: unknown) => {
    assert.ok(e instanceof ImageError);
    assert.match(
      e.message,
      /digest mismatch: expected sha256:[a-f0-9]{64}, the registry sent sha256:[a-f0-9]{64}; refusing it/,
    );
    return true;
  });
  await noImage(store);
  // Nothing of the tampered blob is kept.
  assert.deepEqual(
    readdirSync(join(store.imagesDir, 'partial')).filter((f) => !f.endsWith('.lock')),
    [],
  );
});

test('a manifest the registry misdescribes is refused', { skip: !isRoot }, async (t) => {
  const { layout } = testLayout(t);
  const serve = layoutRegistry(layout, 'test/app');
  const srv = await httpServer(t, (req, res) => {
    if (req.url?.includes('/manifests/')) {
      const idx = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
      const body = readFileSync(join(layout, 'blobs', 'sha256', idx.manifests[0].digest.slice(7)));
      res
        .writeHead(200, {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'docker-content-digest': 'sha256:' + 'f'.repeat(64),
        })
        .end(body);
      return;
    }
    serve(req, res);
  });
  const store = new ImageStore(tempDir(t));
  await assert.rejects(
    store.pull(`127.0.0.1:${srv.port}/test/app:1`),
    /says its digest is sha256:f+ but the content hashes to/,
  );
  await assert.rejects(
    store.pull(`127.0.0.1:${srv.port}/test/app@sha256:${'e'.repeat(64)}`),
    /digest mismatch/,
  );
  await noImage(store);
});

test('basic auth: refused without credentials, pulled with them', { skip: !isRoot }, async (t) => {
  const layout = join(tempDir(t), 'layout');
  writeOciLayout(layout, [{ layers: [[file('f', 'x')]] }]);
  const serve = layoutRegistry(layout, 'test/app');
  const good = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
  const srv = await httpServer(t, (req, res) => {
    if (req.headers.authorization !== good) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    serve(req, res);
  });
  const ref = `127.0.0.1:${srv.port}/test/app:1`;
  const store = new ImageStore(tempDir(t));
  await assert.rejects(
    store.pull(ref),
    /authentication required by registry 127\.0\.0\.1:\d+: pass --username\/--password/,
  );
  await assert.rejects(
    store.pull(ref, { username: 'alice', password: 'wrong' }),
    /denied access .*check the credentials/,
  );
  const img = await store.pull(ref, { username: 'alice', password: 's3cret' });
  assert.deepEqual(img.names, [ref]);
  // Credentials from an auth file.
  const authDir = tempDir(t);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(
    join(authDir, 'auth.json'),
    JSON.stringify({
      auths: { [`127.0.0.1:${srv.port}`]: { auth: Buffer.from('alice:s3cret').toString('base64') } },
    }),
  );
  await new ImageStore(tempDir(t)).pull(ref, { authFile: join(authDir, 'auth.json') });
});

test('bearer tokens: the challenge is followed to the token service', { skip: !isRoot }, async (t) => {
  const layout = join(tempDir(t), 'layout');
  writeOciLayout(layout, [{ layers: [[file('f', 'x')]] }]);
  const serve = layoutRegistry(layout, 'test/app');
  const scopes: string[] = [];
  const srv = await httpServer(t, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/token') {
      scopes.push(`${url.searchParams.get('service')} ${url.searchParams.get('scope')}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'tok123' }));
      return;
    }
    if (req.headers.authorization !== 'Bearer tok123') {
      res
        .writeHead(401, {
          'www-authenticate': `Bearer realm="http://127.0.0.1:${srv.port}/token",service="fake",scope="repository:test/app:pull"`,
        })
        .end();
      return;
    }
    serve(req, res);
  });
  const store = new ImageStore(tempDir(t));
  const img = await store.pull(`127.0.0.1:${srv.port}/test/app:1`);
  assert.equal(img.layers.length, 1);
  assert.deepEqual(scopes, ['fake repository:test/app:pull']);
});

test('bad input is one clear line', { skip: !isRoot }, async (t) => {
  const store = new ImageStore(tempDir(t));
  const oneLine = (re: RegExp) => (e: unknown) =>
    e instanceof ImageError && re.test(e.message) && !e.message.includes('\n');
  await assert.rejects(store.pull('Not/A Ref'), oneLine(/^invalid image reference "Not\/A Ref"/));
  const port = await freePort();
  await assert.rejects(
    store.pull(`127.0.0.1:${port}/x:1`, { retries: 2, backoffMs: 10 }),
    oneLine(/^cannot reach registry 127\.0\.0\.1:\d+ at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED$/),
  );
  const srv = await httpServer(t, (req, res) => {
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
  });
  await assert.rejects(
    store.pull(`127.0.0.1:${srv.port}/x:1`),
    oneLine(/^manifest x:1 not found in registry 127\.0\.0\.1:\d+: manifest unknown$/),
  );
  await noImage(store);
});
