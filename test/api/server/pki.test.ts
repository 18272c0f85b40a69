// Certificates made with the openssl CLI, the kubeconfig, and the `corral server` flag parsing.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { adminKubeconfig } from '../../../src/api/server/kubeconfig.js';
import { ensurePki } from '../../../src/api/server/pki.js';
import { parseListen, storageSpec } from '../../../src/api/server/run.js';

test('ensurePki makes a CA, a serving and an admin certificate once, and re-issues on new SANs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-pki-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = await ensurePki(dir, '127.0.0.1');
  const ca = new X509Certificate(a.caCert);
  const srv = new X509Certificate(a.serverCert);
  const admin = new X509Certificate(a.adminCert);
  assert.ok(ca.ca);
  assert.ok(srv.verify(ca.publicKey));
  assert.ok(admin.verify(ca.publicKey));
  assert.match(srv.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  assert.match(srv.subjectAltName ?? '', /DNS:kubernetes\.default\.svc/);
  assert.match(admin.subject, /O=system:masters/);
  assert.match(admin.subject, /CN=admin/);
  assert.equal(statSync(join(dir, 'pki', 'ca.key')).mode & 0o777, 0o600);
  const again = await ensurePki(dir, '127.0.0.1');
  assert.equal(again.serverCert, a.serverCert);
  const moved = await ensurePki(dir, '10.1.2.3');
  assert.notEqual(moved.serverCert, a.serverCert);
  assert.equal(moved.caCert, a.caCert);
  assert.match(new X509Certificate(moved.serverCert).subjectAltName ?? '', /IP Address:10\.1\.2\.3/);

  const cfg = JSON.parse(adminKubeconfig('https://127.0.0.1:6443', a)) as {
    clusters: Array<{ cluster: Record<string, string> }>;
    users: Array<{ user: Record<string, string> }>;
  };
  assert.equal(
    Buffer.from(cfg.clusters[0]!.cluster['certificate-authority-data']!, 'base64').toString(),
    a.caCert,
  );
  assert.equal(Buffer.from(cfg.users[0]!.user['client-key-data']!, 'base64').toString(), a.adminKey);
});

test('server flags: --listen and --datastore', () => {
  assert.deepEqual(parseListen('127.0.0.1:6443'), { host: '127.0.0.1', port: 6443 });
  assert.deepEqual(parseListen(':0'), { host: '0.0.0.0', port: 0 });
  assert.deepEqual(parseListen('[::1]:6443'), { host: '::1', port: 6443 });
  assert.throws(() => parseListen('6443'), /--listen: "6443" is not ADDR:PORT; use e\.g\. 127\.0\.0\.1:6443/);
  assert.equal(storageSpec('sqlite', '/d'), 'sqlite:/d/state.db');
  assert.equal(
    storageSpec('etcd://127.0.0.1:2379,127.0.0.1:22379', '/d'),
    'etcd://127.0.0.1:2379,127.0.0.1:22379',
  );
  assert.throws(
    () => storageSpec('mysql', '/d'),
    /--datastore: "mysql" is not supported; use sqlite or etcd:\/\//,
  );
});
