// Node authorization over HTTPS with a node's client certificate (CN=system:node:<name>,
// O=system:nodes): its own Node and Lease, its pods and their status, the secrets its pods use,
// and nothing else.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSecureApi, type Caller, type SecureApi } from './support.js';

let api: SecureApi;
let n1: Caller;

const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });

before(async () => {
  api = await startSecureApi();
  n1 = await api.user('system:node:n1', ['system:nodes']);
  assert.equal((await api.admin.call('POST', '/api/v1/nodes', node('n2'))).status, 201);
  await api.admin.call('POST', '/api/v1/namespaces/default/secrets', {
    metadata: { name: 'used' },
    stringData: { a: 'b' },
  });
  await api.admin.call('POST', '/api/v1/namespaces/default/secrets', {
    metadata: { name: 'unused' },
    stringData: { a: 'b' },
  });
  const pod = (name: string, nodeName: string) => ({
    metadata: { name },
    spec: {
      nodeName,
      containers: [
        {
          name: 'c',
          image: 'busybox',
          env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'used', key: 'a' } } }],
        },
      ],
    },
  });
  await api.admin.call('POST', '/api/v1/namespaces/default/pods', pod('mine', 'n1'));
  await api.admin.call('POST', '/api/v1/namespaces/default/pods', pod('theirs', 'n2'));
});
after(() => api.stop());

test('a node registers and updates its own Node, not another', async () => {
  assert.equal((await n1.call('POST', '/api/v1/nodes', node('n1'))).status, 201);
  const other = await n1.call('POST', '/api/v1/nodes', node('n3'));
  assert.equal(other.status, 403);
  assert.equal(other.body.message, 'nodes "n3" is forbidden: node "n1" is not allowed to modify node "n3"');
  const patch = { metadata: { labels: { zone: 'a' } } };
  const mp = { 'Content-Type': 'application/merge-patch+json' };
  assert.equal((await n1.call('PATCH', '/api/v1/nodes/n1', JSON.stringify(patch), mp)).status, 200);
  assert.equal(
    (await n1.call('PATCH', '/api/v1/nodes/n1/status', JSON.stringify({ status: {} }), mp)).status,
    200,
  );
  const theirs = await n1.call('PATCH', '/api/v1/nodes/n2', JSON.stringify(patch), mp);
  assert.equal(theirs.status, 403);
  assert.equal(
    theirs.body.message,
    'nodes "n2" is forbidden: User "system:node:n1" cannot patch resource "nodes" in API group "" at the cluster scope',
  );
  assert.equal((await n1.call('GET', '/api/v1/nodes')).status, 200);
  assert.equal((await n1.call('DELETE', '/api/v1/nodes/n2')).status, 403);
});

test('a node writes its own Lease only', async () => {
  const lease = (name: string) => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name },
    spec: { holderIdentity: name },
  });
  const path = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
  assert.equal((await n1.call('POST', path, lease('n1'))).status, 201);
  assert.equal((await n1.call('GET', `${path}/n1`)).status, 200);
  assert.equal((await n1.call('POST', path, lease('n2'))).status, 403);
  assert.equal((await n1.call('GET', `${path}/n2`)).status, 403);
  assert.equal(
    (await n1.call('POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', lease('n1'))).status,
    403,
  );
});

test('pods bound to the node: read, status, and the secrets they reference; nothing else', async () => {
  assert.equal((await n1.call('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1')).status, 200);
  assert.equal((await n1.call('GET', '/api/v1/namespaces/default/pods/mine')).status, 200);
  assert.equal((await n1.call('GET', '/api/v1/namespaces/default/pods/theirs')).status, 403);
  const mp = { 'Content-Type': 'application/merge-patch+json' };
  const status = JSON.stringify({ status: { phase: 'Running' } });
  assert.equal(
    (await n1.call('PATCH', '/api/v1/namespaces/default/pods/mine/status', status, mp)).status,
    200,
  );
  assert.equal(
    (await n1.call('PATCH', '/api/v1/namespaces/default/pods/theirs/status', status, mp)).status,
    403,
  );
  assert.equal(
    (
      await n1.call('POST', '/api/v1/namespaces/default/pods', {
        metadata: { name: 'x' },
        spec: { containers: [{ name: 'c', image: 'b' }] },
      })
    ).status,
    403,
  );
  assert.equal((await n1.call('GET', '/api/v1/namespaces/default/secrets/used')).status, 200);
  assert.equal((await n1.call('GET', '/api/v1/namespaces/default/secrets/unused')).status, 403);
  const list = await n1.call('GET', '/api/v1/namespaces/default/secrets');
  assert.equal(list.status, 403);
  assert.equal(
    list.body.message,
    'secrets is forbidden: User "system:node:n1" cannot list resource "secrets" in API group "" in the namespace "default"',
  );
  assert.equal((await n1.call('GET', '/api/v1/secrets')).status, 403);
  assert.equal(
    (
      await n1.call('POST', '/api/v1/namespaces/default/events', {
        metadata: { name: 'e1' },
        involvedObject: { kind: 'Pod', name: 'mine', namespace: 'default' },
        reason: 'Started',
        message: 'ok',
        type: 'Normal',
      })
    ).status,
    201,
  );
  assert.equal((await n1.call('GET', '/api/v1/namespaces')).status, 403);
});
