// RBAC over HTTPS with real client certificates: bindings grant exactly their rules, denials carry
// Kubernetes' Forbidden messages, the review APIs answer from the same authorizer, impersonation
// needs the verb, escalation is refused, and the bootstrap policy is there.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { clusterRole, rbac, roleBinding, startSecureApi, type Caller, type SecureApi } from './support.js';

let api: SecureApi;
let alice: Caller;

before(async () => {
  api = await startSecureApi();
  for (const ns of ['dev', 'prod'])
    assert.equal(
      (await api.admin.call('POST', '/api/v1/namespaces', { metadata: { name: ns } })).status,
      201,
    );
  for (const ns of ['dev', 'prod'])
    await api.admin.call('POST', `/api/v1/namespaces/${ns}/pods`, {
      metadata: { name: 'web' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
  const rb = roleBinding('alice-view', 'dev', { kind: 'ClusterRole', name: 'view' }, [
    { kind: 'Group', name: 'dev' },
  ]);
  assert.equal(
    (await api.admin.call('POST', `/apis/${rbac}/v1/namespaces/dev/rolebindings`, rb)).status,
    201,
  );
  alice = await api.user('alice', ['dev']);
});
after(() => api.stop());

test('bootstrap policy: default roles and bindings exist', async () => {
  for (const name of [
    'cluster-admin',
    'admin',
    'edit',
    'view',
    'system:discovery',
    'system:basic-user',
    'system:public-info-viewer',
    'system:node',
  ])
    assert.equal((await api.admin.call('GET', `/apis/${rbac}/v1/clusterroles/${name}`)).status, 200, name);
  const crb = await api.admin.call('GET', `/apis/${rbac}/v1/clusterrolebindings/cluster-admin`);
  assert.deepEqual(crb.body.subjects, [{ kind: 'Group', apiGroup: rbac, name: 'system:masters' }]);
  const pub = await api.admin.call('GET', `/apis/${rbac}/v1/clusterrolebindings/system:public-info-viewer`);
  assert.deepEqual(
    pub.body.subjects.map((s: { name: string }) => s.name),
    ['system:authenticated', 'system:unauthenticated'],
  );
});

test('a view binding in dev allows get/list/watch of pods in dev and nothing in prod', async () => {
  assert.equal((await alice.call('GET', '/api/v1/namespaces/dev/pods')).status, 200);
  assert.equal((await alice.call('GET', '/api/v1/namespaces/dev/pods/web')).status, 200);
  assert.equal(await alice.watchStatus('/api/v1/namespaces/dev/pods?watch=true'), 200);
  const prod = await alice.call('GET', '/api/v1/namespaces/prod/pods');
  assert.equal(prod.status, 403);
  assert.equal(prod.body.reason, 'Forbidden');
  assert.equal(
    prod.body.message,
    'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "prod"',
  );
  assert.deepEqual(prod.body.details, { kind: 'pods' });
  assert.equal(await alice.watchStatus('/api/v1/namespaces/prod/pods?watch=true'), 403);
  const all = await alice.call('GET', '/api/v1/pods');
  assert.equal(
    all.body.message,
    'pods is forbidden: User "alice" cannot list resource "pods" in API group "" at the cluster scope',
  );
  const del = await alice.call('DELETE', '/api/v1/namespaces/dev/pods/web');
  assert.equal(
    del.body.message,
    'pods "web" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "dev"',
  );
  // view does not include secrets, nor exec.
  assert.equal((await alice.call('GET', '/api/v1/namespaces/dev/secrets')).status, 403);
  const exec = await alice.call('POST', '/api/v1/namespaces/dev/pods/web/exec?command=true');
  assert.equal(
    exec.body.message,
    'pods "web" is forbidden: User "alice" cannot create resource "pods/exec" in API group "" in the namespace "dev"',
  );
  // Discovery and health are open to every authenticated user; other paths are not.
  assert.equal((await alice.call('GET', '/api/v1')).status, 200);
  assert.equal((await alice.call('GET', '/version')).status, 200);
  const raw = await alice.call('GET', '/metrics');
  assert.equal(raw.status, 403);
  assert.equal(raw.body.message, 'forbidden: User "alice" cannot get path "/metrics"');
});

test('anonymous requests are refused with 401; a certificate from another CA too', async () => {
  const anon = await api.as({}).call('GET', '/api/v1/namespaces/dev/pods');
  assert.equal(anon.status, 401);
  assert.equal(anon.body.reason, 'Unauthorized');
  assert.equal((await api.as({}).call('GET', '/healthz')).status, 401);
  assert.equal((await api.as({ token: 'nope' }).call('GET', '/api')).status, 401);
});

test('SelfSubjectAccessReview, SubjectAccessReview and SelfSubjectRulesReview answer from RBAC', async () => {
  const ssar = (ns: string, verb: string) => ({
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { namespace: ns, verb, resource: 'pods' } },
  });
  const yes = await alice.call(
    'POST',
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    ssar('dev', 'list'),
  );
  assert.equal(yes.status, 201);
  assert.equal(yes.body.status.allowed, true);
  assert.equal(
    yes.body.status.reason,
    'RBAC: allowed by RoleBinding "alice-view/dev" of ClusterRole "view" to Group "dev"',
  );
  const no = await alice.call(
    'POST',
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    ssar('prod', 'list'),
  );
  assert.equal(no.body.status.allowed, false);
  const sar = await api.admin.call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: 'carol',
      groups: ['dev'],
      resourceAttributes: { namespace: 'dev', verb: 'watch', resource: 'pods' },
    },
  });
  assert.equal(sar.body.status.allowed, true);
  // Alice may not ask about others (SubjectAccessReview is not in basic-user).
  const denied = await alice.call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    spec: { user: 'carol', resourceAttributes: { verb: 'get', resource: 'pods' } },
  });
  assert.equal(denied.status, 403);
  const rules = await alice.call('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectRulesReview',
    spec: { namespace: 'dev' },
  });
  assert.equal(rules.status, 201);
  const rr = rules.body.status.resourceRules as Array<{ verbs: string[]; resources: string[] }>;
  assert.ok(rr.some((r) => r.resources.includes('pods') && r.verbs.includes('list')));
  assert.ok(rr.some((r) => r.resources.includes('selfsubjectaccessreviews')));
  assert.ok(!rr.some((r) => r.resources.includes('secrets')));
  assert.ok(
    (rules.body.status.nonResourceRules as Array<{ nonResourceURLs: string[] }>).some((r) =>
      r.nonResourceURLs.includes('/api'),
    ),
  );
});

test('impersonation needs verb impersonate: 403 without, the impersonated user with it', async () => {
  const as = { 'Impersonate-User': 'bob', 'Impersonate-Group': 'dev' };
  const denied = await alice.call('GET', '/api/v1/namespaces/dev/pods', undefined, as);
  assert.equal(denied.status, 403);
  assert.equal(
    denied.body.message,
    'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
  );
  const role = clusterRole('impersonator', [
    { apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] },
  ]);
  assert.equal((await api.admin.call('POST', `/apis/${rbac}/v1/clusterroles`, role)).status, 201);
  const crb = {
    metadata: { name: 'alice-impersonates' },
    roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'impersonator' },
    subjects: [{ kind: 'User', apiGroup: rbac, name: 'alice' }],
  };
  assert.equal((await api.admin.call('POST', `/apis/${rbac}/v1/clusterrolebindings`, crb)).status, 201);
  const who = await alice.call(
    'POST',
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    as,
  );
  assert.equal(who.status, 201);
  assert.deepEqual(who.body.status.userInfo, { username: 'bob', groups: ['dev', 'system:authenticated'] });
  // As bob (group dev) the view binding applies; as bob alone it does not.
  assert.equal((await alice.call('GET', '/api/v1/namespaces/dev/pods', undefined, as)).status, 200);
  const bobOnly = await alice.call('GET', '/api/v1/namespaces/dev/pods', undefined, {
    'Impersonate-User': 'bob',
  });
  assert.equal(bobOnly.status, 403);
  assert.match(bobOnly.body.message, /User "bob" cannot list/);
  // Impersonating a service account is checked on serviceaccounts, which the role does not grant.
  const sa = await alice.call('GET', '/api/v1/namespaces/dev/pods', undefined, {
    'Impersonate-User': 'system:serviceaccount:dev:builder',
  });
  assert.equal(
    sa.body.message,
    'serviceaccounts "builder" is forbidden: User "alice" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "dev"',
  );
});

test('escalation: a Role or binding beyond what the writer holds is refused unless escalate/bind', async () => {
  const rb = roleBinding('bob-edit', 'dev', { kind: 'ClusterRole', name: 'edit' }, [
    { kind: 'User', name: 'bob' },
  ]);
  assert.equal(
    (await api.admin.call('POST', `/apis/${rbac}/v1/namespaces/dev/rolebindings`, rb)).status,
    201,
  );
  const adminRb = roleBinding('bob-admin', 'dev', { kind: 'ClusterRole', name: 'admin' }, [
    { kind: 'User', name: 'carol' },
  ]);
  // edit has no rolebindings verbs at all: plain RBAC denial.
  const bob = await api.user('bob');
  assert.equal((await bob.call('POST', `/apis/${rbac}/v1/namespaces/dev/rolebindings`, adminRb)).status, 403);
  // Give bob the admin role in dev: he may write roles, but only with rules he holds.
  const dave = await api.user('dave');
  const daveAdmin = roleBinding('dave-admin', 'dev', { kind: 'ClusterRole', name: 'admin' }, [
    { kind: 'User', name: 'dave' },
  ]);
  assert.equal(
    (await api.admin.call('POST', `/apis/${rbac}/v1/namespaces/dev/rolebindings`, daveAdmin)).status,
    201,
  );
  const nodesRole = {
    metadata: { name: 'escalator', namespace: 'dev' },
    rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['delete'] }],
  };
  const esc = await dave.call('POST', `/apis/${rbac}/v1/namespaces/dev/roles`, nodesRole);
  assert.equal(esc.status, 403);
  assert.equal(
    esc.body.message,
    'roles.rbac.authorization.k8s.io "escalator" is forbidden: user "dave" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["delete"]}',
  );
  const okRole = {
    metadata: { name: 'pod-reader', namespace: 'dev' },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
  };
  assert.equal((await dave.call('POST', `/apis/${rbac}/v1/namespaces/dev/roles`, okRole)).status, 201);
  const toClusterAdmin = roleBinding('dave-ca', 'dev', { kind: 'ClusterRole', name: 'cluster-admin' }, [
    { kind: 'User', name: 'dave' },
  ]);
  const bind = await dave.call('POST', `/apis/${rbac}/v1/namespaces/dev/rolebindings`, toClusterAdmin);
  assert.equal(bind.status, 403);
  assert.match(
    bind.body.message,
    /^rolebindings.rbac.authorization.k8s.io "dave-ca" is forbidden: user "dave" .* not currently held:\n/,
  );
  // A binding to a role he holds is fine.
  const toView = roleBinding('erin-view', 'dev', { kind: 'ClusterRole', name: 'view' }, [
    { kind: 'User', name: 'erin' },
  ]);
  assert.equal((await dave.call('POST', `/apis/${rbac}/v1/namespaces/dev/rolebindings`, toView)).status, 201);
  // With escalate on roles and bind on cluster-admin both succeed.
  const grant = {
    metadata: { name: 'escalate-bind', namespace: 'dev' },
    rules: [
      { apiGroups: [rbac], resources: ['roles'], verbs: ['escalate'] },
      { apiGroups: [rbac], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['cluster-admin'] },
    ],
  };
  assert.equal((await api.admin.call('POST', `/apis/${rbac}/v1/namespaces/dev/roles`, grant)).status, 201);
  const grantRb = roleBinding('dave-escalate', 'dev', { kind: 'Role', name: 'escalate-bind' }, [
    { kind: 'User', name: 'dave' },
  ]);
  assert.equal(
    (await api.admin.call('POST', `/apis/${rbac}/v1/namespaces/dev/rolebindings`, grantRb)).status,
    201,
  );
  assert.equal((await dave.call('POST', `/apis/${rbac}/v1/namespaces/dev/roles`, nodesRole)).status, 201);
  assert.equal(
    (await dave.call('POST', `/apis/${rbac}/v1/namespaces/dev/rolebindings`, toClusterAdmin)).status,
    201,
  );
});

test('static token file users authenticate with their groups', async () => {
  const { parseTokenFile } = await import('../../../src/api/auth/token-file.js');
  const tokens = parseTokenFile('s3cret,tina,1001,"dev,ops"\n', 'tokens.csv');
  const other = await startSecureApi({ tokens }, { dir: api.dir, storage: api.storage });
  try {
    const tina = other.as({ token: 's3cret' });
    const who = await tina.call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    assert.deepEqual(who.body.status.userInfo, {
      username: 'tina',
      uid: '1001',
      groups: ['dev', 'ops', 'system:authenticated'],
    });
    assert.equal((await tina.call('GET', '/api/v1/namespaces/dev/pods')).status, 200);
    assert.equal((await tina.call('GET', '/api/v1/namespaces/prod/pods')).status, 403);
    assert.equal((await other.as({ token: 'wrong' }).call('GET', '/api/v1/namespaces/dev/pods')).status, 401);
  } finally {
    await other.server.stop();
  }
  assert.throws(
    () => parseTokenFile('onlytoken,bob\n', 't.csv'),
    /t.csv: line 1: must have at least 3 columns/,
  );
});

test('--anonymous-auth: no credentials means system:anonymous, which RBAC lets see health only', async () => {
  const open = await startSecureApi({ anonymousAuth: true }, { dir: api.dir, storage: api.storage });
  try {
    const anon = open.as({});
    assert.equal((await anon.call('GET', '/healthz')).status, 200);
    assert.equal((await anon.call('GET', '/version')).status, 200);
    const pods = await anon.call('GET', '/api/v1/namespaces/dev/pods');
    assert.equal(pods.status, 403);
    assert.equal(
      pods.body.message,
      'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "dev"',
    );
    assert.equal((await anon.call('GET', '/api')).status, 403);
  } finally {
    await open.server.stop();
  }
});
