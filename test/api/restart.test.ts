// `corral server` killed with SIGKILL during a stream of writes: after a restart on the same
// data dir every acknowledged write is there, and the certificates and kubeconfig still work.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startCorralServer } from './support/corral-server.js';

interface Kubeconfig {
  clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
  users: Array<{ user: { 'client-certificate-data': string; 'client-key-data': string } }>;
}

function client(kubeconfigPath: string) {
  const kc = JSON.parse(readFileSync(kubeconfigPath, 'utf8')) as Kubeconfig;
  const b = (s: string) => Buffer.from(s, 'base64').toString();
  const url = new URL(kc.clusters[0]!.cluster.server);
  const tls = {
    ca: b(kc.clusters[0]!.cluster['certificate-authority-data']),
    cert: b(kc.users[0]!.user['client-certificate-data']),
    key: b(kc.users[0]!.user['client-key-data']),
  };
  return (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; body: { items: Array<{ metadata: { name: string } }> } }>(
      (resolve, reject) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            method,
            path,
            ...tls,
            headers: { 'Content-Type': 'application/json' },
          },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
          },
        );
        req.on('error', reject);
        req.end(body === undefined ? undefined : JSON.stringify(body));
      },
    );
}

test('acknowledged writes survive kill -9 and a restart', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-restart-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = await startCorralServer([], dir);
  t.after(() => first.stop());
  const call = client(first.kubeconfig);
  const acked: string[] = [];
  let stop = false;
  const writers = Array.from({ length: 4 }, async (_, w) => {
    for (let i = 0; !stop; i++) {
      const name = `w${w}-${i}`;
      try {
        const r = await call('POST', '/api/v1/namespaces/default/configmaps', {
          metadata: { name },
          data: { i: String(i) },
        });
        if (r.status === 201) acked.push(name);
      } catch {
        return; // the server is gone
      }
    }
  });
  await new Promise((r) => setTimeout(r, 1500));
  await first.crash();
  stop = true;
  await Promise.all(writers);
  assert.ok(acked.length > 10, `only ${acked.length} writes acknowledged`);
  assert.ok(existsSync(join(dir, 'pki', 'ca.crt')));

  const second = await startCorralServer([], dir);
  t.after(() => second.stop());
  const call2 = client(second.kubeconfig);
  const list = await call2('GET', '/api/v1/namespaces/default/configmaps');
  const names = new Set(
    (list.body.items as Array<{ metadata: { name: string } }>).map((c) => c.metadata.name),
  );
  const lost = acked.filter((n) => !names.has(n));
  assert.deepEqual(lost, []);
  assert.equal(
    (await call2('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'after' } })).status,
    201,
  );
});
