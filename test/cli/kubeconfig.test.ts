// `corral kubeconfig`: a client certificate signed by the cluster CA with CN = user and one O per
// group, in a kubeconfig naming the server from DATA_DIR/kubeconfig; clear errors otherwise.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ensurePki } from '../../src/api/server/pki.js';
import { writeKubeconfig } from '../../src/api/server/kubeconfig.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

const corral = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [MAIN, ...args], (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

test('corral kubeconfig mints a CA-signed client certificate for the user and groups', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-kc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const noCa = await corral([
    '--data-dir',
    dir,
    'kubeconfig',
    '--user',
    'alice',
    '--server',
    'https://127.0.0.1:6443',
  ]);
  assert.equal(noCa.code, 125);
  assert.match(
    noCa.stderr,
    /^corral: no cluster CA in .*pki: start `corral server` or `corral up` with this --data-dir first/,
  );

  const pki = await ensurePki(dir, '127.0.0.1');
  const noUrl = await corral(['--data-dir', dir, 'kubeconfig', '--user', 'alice']);
  assert.match(noUrl.stderr, /kubeconfig to take the server URL from: pass --server/);
  await writeKubeconfig(join(dir, 'kubeconfig'), 'https://127.0.0.1:7443', pki);
  const noUser = await corral(['--data-dir', dir, 'kubeconfig']);
  assert.match(noUser.stderr, /^corral: --user is required/);

  const r = await corral([
    '--data-dir',
    dir,
    'kubeconfig',
    '--user',
    'alice',
    '--group',
    'dev',
    '--group',
    'ops',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const cfg = JSON.parse(r.stdout) as {
    clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
    users: Array<{ name: string; user: Record<string, string> }>;
    'current-context': string;
  };
  assert.equal(cfg.clusters[0]!.cluster.server, 'https://127.0.0.1:7443');
  assert.equal(cfg.users[0]!.name, 'alice');
  assert.equal(cfg['current-context'], 'alice@corral');
  const cert = new X509Certificate(Buffer.from(cfg.users[0]!.user['client-certificate-data']!, 'base64'));
  assert.deepEqual(cert.subject.split('\n').sort(), ['CN=alice', 'O=dev', 'O=ops']);
  assert.ok(cert.verify(new X509Certificate(pki.caCert).publicKey));
  assert.ok(
    cert.checkPrivateKey(
      (await import('node:crypto')).createPrivateKey(
        Buffer.from(cfg.users[0]!.user['client-key-data']!, 'base64'),
      ),
    ),
  );

  const out = join(dir, 'alice.yaml');
  const w = await corral(['--data-dir', dir, 'kubeconfig', '--user', 'bob', '-o', out]);
  assert.equal(w.code, 0, w.stderr);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  assert.match(readFileSync(out, 'utf8'), /"name": "bob"/);
});
