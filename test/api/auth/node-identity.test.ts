// What the node agent does under its own identities, over HTTPS with real certificates: as
// system:node:<name> it gets the ConfigMaps its pods reference (also through the projected
// kube-api-access volume) and tokens for its pods' ServiceAccounts bound to those pods, nothing
// cluster-wide; NodeRestriction refuses tokens not bound to one of its pods. The NetworkPolicy
// watch's user system:corral:network-policy reads namespaces, pods and policies everywhere and
// nothing else.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { ensureSigningKey } from '../../../src/api/auth/jwt.js';
import { NETWORK_POLICY_USER } from '../../../src/api/auth/rbac/bootstrap-policy.js';
import { ServiceAccountTokens } from '../../../src/api/auth/service-account-tokens.js';
import { ApiError } from '../../../src/api/errors.js';
import { startSecureApi, type Caller, type SecureApi } from './support.js';

let api: SecureApi;
let n1: Caller;
const pods: Record<string, { uid: string }> = {};

const tokenRequest = (spec: Record<string, unknown>) => ({
  apiVersion: 'authentication.k8s.io/v1',
  kind: 'TokenRequest',
  spec,
});

before(async () => {
  api = await startSecureApi();
  n1 = await api.user('system:node:n1', ['system:nodes']);
  await api.admin.call('POST', '/api/v1/namespaces/default/configmaps', {
    metadata: { name: 'app-config' },
    data: { k: 'v' },
  });
  await api.admin.call('POST', '/api/v1/namespaces/default/configmaps', {
    metadata: { name: 'unrelated' },
    data: { k: 'v' },
  });
  for (const [name, nodeName] of [
    ['mine', 'n1'],
    ['theirs', 'n2'],
  ] as const) {
    const r = await api.admin.call('POST', '/api/v1/namespaces/default/pods', {
      metadata: { name },
      spec: {
        nodeName,
        containers: [
          {
            name: 'c',
            image: 'busybox',
            env: [{ name: 'K', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'k' } } }],
          },
        ],
      },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    // The ServiceAccount admission gave it the projected token volume the agent fills.
    assert.ok(r.body.spec.volumes.some((v: { name: string }) => v.name.startsWith('kube-api-access-')));
    pods[name] = { uid: r.body.metadata.uid };
  }
  // The root CA publisher writes kube-root-ca.crt into every namespace shortly after start.
  for (let i = 0; i < 100; i++) {
    if (
      (await api.admin.call('GET', '/api/v1/namespaces/default/configmaps/kube-root-ca.crt')).status === 200
    )
      break;
    await new Promise((r) => setTimeout(r, 50));
  }
});
after(async () => {
  const dir = api.dir;
  await api.stop();
  rmSync(dir, { recursive: true, force: true }); // a restarted server (reuse) leaves its dir
});

test('a node gets the ConfigMaps its pods reference, one by one, and not the others', async () => {
  assert.equal((await n1.call('GET', '/api/v1/namespaces/default/configmaps/app-config')).status, 200);
  const ca = await n1.call('GET', '/api/v1/namespaces/default/configmaps/kube-root-ca.crt');
  assert.equal(ca.status, 200, 'referenced by the projected kube-api-access volume');
  assert.match(ca.body.data['ca.crt'], /BEGIN CERTIFICATE/);
  const other = await n1.call('GET', '/api/v1/namespaces/default/configmaps/unrelated');
  assert.equal(other.status, 403);
  assert.equal(
    other.body.message,
    'configmaps "unrelated" is forbidden: User "system:node:n1" cannot get resource "configmaps" in API group "" in the namespace "default"',
  );
  assert.equal((await n1.call('GET', '/api/v1/configmaps')).status, 403);
  assert.equal((await n1.call('GET', '/api/v1/namespaces/default/configmaps')).status, 403);
  assert.equal((await n1.call('GET', '/apis/networking.k8s.io/v1/networkpolicies')).status, 403);
});

test('a node gets a token for its pod, bound to that pod, and it authenticates as the ServiceAccount', async () => {
  const tr = await n1.call(
    'POST',
    '/api/v1/namespaces/default/serviceaccounts/default/token',
    tokenRequest({
      expirationSeconds: 3607,
      boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'mine', uid: pods.mine!.uid },
    }),
  );
  assert.equal(tr.status, 201, JSON.stringify(tr.body));
  const token = tr.body.status.token as string;
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
  assert.deepEqual(claims['kubernetes.io'].pod, { name: 'mine', uid: pods.mine!.uid });
  const who = await api.as({ token }).call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
  });
  assert.equal(who.status, 201);
  assert.equal(who.body.status.userInfo.username, 'system:serviceaccount:default:default');
  // A ServiceAccount none of its pods runs as is refused by the Node authorizer.
  await api.admin.call('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'robot' } });
  const robot = await n1.call(
    'POST',
    '/api/v1/namespaces/default/serviceaccounts/robot/token',
    tokenRequest({ boundObjectRef: { kind: 'Pod', name: 'mine', uid: pods.mine!.uid } }),
  );
  assert.equal(robot.status, 403);
  assert.match(robot.body.message, /cannot create resource "serviceaccounts\/token"/);
});

test('NodeRestriction: a node only gets tokens bound, by uid, to a pod it runs', async () => {
  // TokenRequests are answered, not stored, so the token issuer applies NodeRestriction itself.
  const tokens = new ServiceAccountTokens(api.server.stores, { key: await ensureSigningKey(api.dir) });
  const node = { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
  const ask = (spec: Record<string, unknown>, user = node) =>
    tokens.request('default', 'default', { metadata: {}, ...tokenRequest(spec) }, user);
  const refused = async (spec: Record<string, unknown>, message: string) => {
    await assert.rejects(ask(spec), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.code, 403);
      assert.equal(e.message, `serviceaccounts "default" is forbidden: ${message}`);
      return true;
    });
  };
  await refused({}, 'node requested token not bound to a pod');
  await refused(
    { boundObjectRef: { kind: 'Pod', name: 'mine' } },
    'node requested token with a pod binding without a uid',
  );
  await refused(
    { boundObjectRef: { kind: 'Pod', name: 'theirs', uid: pods.theirs!.uid } },
    'node requested token bound to a pod scheduled on a different node',
  );
  await refused(
    { boundObjectRef: { kind: 'Pod', name: 'gone', uid: 'x' } },
    'node requested token bound to pod "gone", which does not exist',
  );
  const ok = await ask({ boundObjectRef: { kind: 'Pod', name: 'mine', uid: pods.mine!.uid } });
  assert.match((ok.status as { token: string }).token, /^ey/);
  // Anyone else (an admin, a controller) may ask for unbound tokens as before.
  const admin = { username: 'admin', groups: ['system:masters'] };
  assert.match(((await ask({}, admin)).status as { token: string }).token, /^ey/);
});

test('system:corral:network-policy reads namespaces, pods and NetworkPolicies everywhere, nothing else', async () => {
  const np = await api.user(NETWORK_POLICY_USER);
  for (const path of [
    '/api/v1/namespaces',
    '/api/v1/pods',
    '/apis/networking.k8s.io/v1/networkpolicies',
    '/api/v1/namespaces/default/pods/theirs',
  ])
    assert.equal((await np.call('GET', path)).status, 200, path);
  assert.equal(await np.watchStatus('/api/v1/pods?watch=true'), 200);
  assert.equal(await np.watchStatus('/apis/networking.k8s.io/v1/networkpolicies?watch=true'), 200);
  assert.equal(await np.watchStatus('/api/v1/namespaces?watch=true'), 200);
  const secrets = await np.call('GET', '/api/v1/secrets');
  assert.equal(secrets.status, 403);
  assert.equal(
    secrets.body.message,
    'secrets is forbidden: User "system:corral:network-policy" cannot list resource "secrets" in API group "" at the cluster scope',
  );
  assert.equal((await np.call('GET', '/api/v1/namespaces/default/configmaps/app-config')).status, 403);
  assert.equal((await np.call('DELETE', '/api/v1/namespaces/default/pods/theirs')).status, 403);
  const patch = await np.call(
    'PATCH',
    '/api/v1/namespaces/default/pods/theirs/status',
    JSON.stringify({ status: {} }),
    { 'Content-Type': 'application/merge-patch+json' },
  );
  assert.equal(patch.status, 403);
});

test('the network-policy role and binding come back after a restart, edits kept (additive reconcile)', async () => {
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  const role = await api.admin.call('GET', `${rbac}/clusterroles/${NETWORK_POLICY_USER}`);
  assert.equal(role.status, 200);
  // Remove a rule and add one of our own; the next start puts the rule back and keeps ours.
  const edited = {
    ...role.body,
    rules: [
      ...role.body.rules.filter((r: { resources: string[] }) => !r.resources.includes('networkpolicies')),
      { apiGroups: [''], resources: ['services'], verbs: ['get'] },
    ],
  };
  assert.equal(
    (await api.admin.call('PUT', `${rbac}/clusterroles/${NETWORK_POLICY_USER}`, edited)).status,
    200,
  );
  assert.equal(
    (await api.admin.call('DELETE', `${rbac}/clusterrolebindings/${NETWORK_POLICY_USER}`)).status,
    200,
  );
  const { dir, storage } = api;
  await api.server.stop();
  api = await startSecureApi({}, { dir, storage });
  const after = (await api.admin.call('GET', `${rbac}/clusterroles/${NETWORK_POLICY_USER}`)).body;
  const resources = after.rules.flatMap((r: { resources: string[] }) => r.resources);
  assert.ok(resources.includes('networkpolicies') && resources.includes('services'), resources.join());
  const binding = await api.admin.call('GET', `${rbac}/clusterrolebindings/${NETWORK_POLICY_USER}`);
  assert.equal(binding.status, 200);
  assert.deepEqual(binding.body.subjects, [
    { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: NETWORK_POLICY_USER },
  ]);
});
