import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ImageError } from '../../src/image/errors.js';
import { isLoopbackHost, normalizeReference, parseReference } from '../../src/image/reference.js';

test('references normalise the way Docker does', () => {
  assert.equal(normalizeReference('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(normalizeReference('busybox:1.36'), 'docker.io/library/busybox:1.36');
  assert.equal(normalizeReference('user/app'), 'docker.io/user/app:latest');
  assert.equal(normalizeReference('index.docker.io/library/alpine:3'), 'docker.io/library/alpine:3');
  assert.equal(normalizeReference('127.0.0.1:5000/test/busybox:1'), '127.0.0.1:5000/test/busybox:1');
  assert.equal(normalizeReference('localhost/x'), 'localhost/x:latest');
  const d = 'sha256:' + 'a'.repeat(64);
  assert.deepEqual(parseReference(`quay.io/a/b@${d}`), {
    domain: 'quay.io',
    path: 'a/b',
    tag: undefined,
    digest: d,
  });
  assert.equal(normalizeReference(`alpine:3@${d}`), `docker.io/library/alpine:3@${d}`);
});

test('a malformed reference is one clear line', () => {
  for (const bad of [
    '',
    'Busybox',
    'busybox:',
    'busybox@sha256:123',
    'a//b',
    'busybox:tag with space',
    'http://x/y',
  ]) {
    assert.throws(
      () => parseReference(bad),
      (e: unknown) =>
        e instanceof ImageError &&
        e.message.startsWith('invalid image reference') &&
        !e.message.includes('\n'),
      bad,
    );
  }
});

test('plain http only for loopback registries', () => {
  for (const h of ['127.0.0.1:5000', 'localhost', 'localhost:80', '[::1]:5000', '127.1.2.3'])
    assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['docker.io', '10.0.0.1:5000', '127.example.com', 'localhost.evil.com'])
    assert.equal(isLoopbackHost(h), false, h);
});
