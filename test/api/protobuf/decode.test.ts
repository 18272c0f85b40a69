import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeK8sProtobuf, isK8sProtobuf, ProtobufError } from '../../../src/api/protobuf/index.js';
import { envelope, mapEntry, meta, msg, varint } from './encoder.js';

test('isK8sProtobuf recognises the content type', () => {
  assert.equal(isK8sProtobuf('application/vnd.kubernetes.protobuf'), true);
  assert.equal(isK8sProtobuf('application/vnd.kubernetes.protobuf; charset=x'), true);
  assert.equal(isK8sProtobuf('application/json'), false);
  assert.equal(isK8sProtobuf('application/vnd.kubernetes.protobuf;stream=watch'), true);
  assert.equal(isK8sProtobuf(undefined), false);
});

test('the rolebinding example from kubectl-surface.md', () => {
  const rb = msg(
    [1, meta('alice-read', 'dev')],
    [2, msg([1, 'User'], [2, 'rbac.authorization.k8s.io'], [3, 'alice'], [4, ''])],
    [3, msg([1, 'rbac.authorization.k8s.io'], [2, 'Role'], [3, 'pod-reader'])],
  );
  const obj = decodeK8sProtobuf(envelope('rbac.authorization.k8s.io/v1', 'RoleBinding', rb));
  assert.equal(
    JSON.stringify(obj),
    '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"alice-read","namespace":"dev"},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"alice"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"pod-reader"}}',
  );
});

test('SelfSubjectAccessReview: empty status and explicit empties are unset', () => {
  const ssar = msg(
    [1, meta('')],
    [2, msg([1, msg([1, 'dev'], [2, 'get'], [3, ''], [4, ''], [5, 'pods'], [6, ''], [7, ''])])],
    [3, msg([1, false], [2, ''], [3, ''])],
  );
  assert.deepEqual(decodeK8sProtobuf(envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', ssar)), {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { namespace: 'dev', verb: 'get', resource: 'pods' } },
  });
  const nonRes = msg([2, msg([2, msg([1, '/healthz'], [2, 'get'])])]);
  assert.deepEqual(
    decodeK8sProtobuf(envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', nonRes)).spec,
    {
      nonResourceAttributes: { path: '/healthz', verb: 'get' },
    },
  );
});

test('SelfSubjectRulesReview, SelfSubjectReview and SubjectAccessReview', () => {
  assert.deepEqual(
    decodeK8sProtobuf(
      envelope(
        'authorization.k8s.io/v1',
        'SelfSubjectRulesReview',
        msg([1, meta('')], [2, msg([1, 'dev'])], [3, msg()]),
      ),
    ),
    { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'dev' } },
  );
  assert.deepEqual(
    decodeK8sProtobuf(
      envelope('authentication.k8s.io/v1', 'SelfSubjectReview', msg([1, meta('')], [2, msg([1, msg()])])),
    ),
    { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  );
  const sar = msg([
    2,
    msg(
      [1, msg([2, 'list'], [5, 'secrets'])],
      [3, 'bob'],
      [4, 'devs'],
      [4, 'system:authenticated'],
      mapEntry(5, 'scopes', msg([1, 'a'], [1, 'b'])),
    ),
  ]);
  assert.deepEqual(decodeK8sProtobuf(envelope('authorization.k8s.io/v1', 'SubjectAccessReview', sar)).spec, {
    resourceAttributes: { verb: 'list', resource: 'secrets' },
    user: 'bob',
    groups: ['devs', 'system:authenticated'],
    extra: { scopes: ['a', 'b'] },
  });
});

test('Namespace, ConfigMap and Secret: maps, bytes as base64, Time as RFC 3339', () => {
  const ts = msg([1, 1764388768n], [2, 0n]);
  const ns = msg(
    [1, meta('dev', '', [mapEntry(11, 'team', 'a'), mapEntry(11, 'env', 'prod'), [8, ts]])],
    [2, msg()],
    [3, msg([1, ''])],
  );
  assert.deepEqual(decodeK8sProtobuf(envelope('v1', 'Namespace', ns)), {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'dev', labels: { team: 'a', env: 'prod' }, creationTimestamp: '2025-11-29T03:59:28Z' },
  });
  const cm = msg(
    [1, meta('cfg', 'dev')],
    mapEntry(2, 'a', '1'),
    mapEntry(2, 'empty', ''),
    mapEntry(3, 'bin', Buffer.from([0, 1, 2])),
    [4, false],
  );
  assert.deepEqual(decodeK8sProtobuf(envelope('v1', 'ConfigMap', cm)), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg', namespace: 'dev' },
    data: { a: '1', empty: '' },
    binaryData: { bin: 'AAEC' },
  });
  const secret = msg(
    [1, meta('s', 'dev')],
    mapEntry(2, 'password', Buffer.from('hunter2')),
    [3, 'Opaque'],
    [5, true],
  );
  assert.deepEqual(decodeK8sProtobuf(envelope('v1', 'Secret', secret)), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', namespace: 'dev' },
    data: { password: Buffer.from('hunter2').toString('base64') },
    type: 'Opaque',
    immutable: true,
  });
});

test('ResourceQuota: Quantity values become strings', () => {
  const q = (s: string) => msg([1, s]);
  const rq = msg(
    [1, meta('q', 'dev')],
    [2, msg(mapEntry(1, 'pods', q('1')), mapEntry(1, 'limits.memory', q('64Mi')), [2, 'NotTerminating'])],
    [3, msg()],
  );
  assert.deepEqual(decodeK8sProtobuf(envelope('v1', 'ResourceQuota', rq)), {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'q', namespace: 'dev' },
    spec: { hard: { pods: '1', 'limits.memory': '64Mi' }, scopes: ['NotTerminating'] },
  });
});

test('Role / ClusterRole rules keep the empty core API group; aggregationRule selectors', () => {
  const rule = msg([1, 'get'], [1, 'list'], [2, ''], [3, 'pods'], [3, 'pods/log']);
  const role = msg([1, meta('r', 'dev')], [2, rule]);
  assert.deepEqual(decodeK8sProtobuf(envelope('rbac.authorization.k8s.io/v1', 'Role', role)).rules, [
    { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'pods/log'] },
  ]);
  const cr = msg(
    [1, meta('agg')],
    [
      3,
      msg([1, msg(mapEntry(1, 'rbac.example.com/aggregate', 'true'), [2, msg([1, 'tier'], [2, 'Exists'])])]),
    ],
  );
  assert.deepEqual(decodeK8sProtobuf(envelope('rbac.authorization.k8s.io/v1', 'ClusterRole', cr)), {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'agg' },
    aggregationRule: {
      clusterRoleSelectors: [
        {
          matchLabels: { 'rbac.example.com/aggregate': 'true' },
          matchExpressions: [{ key: 'tier', operator: 'Exists' }],
        },
      ],
    },
  });
  const crb = msg(
    [1, meta('crb')],
    [2, msg([1, 'ServiceAccount'], [2, ''], [3, 'sa'], [4, 'dev'])],
    [3, msg([1, 'rbac.authorization.k8s.io'], [2, 'ClusterRole'], [3, 'view'])],
  );
  assert.deepEqual(
    decodeK8sProtobuf(envelope('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', crb)).subjects,
    [{ kind: 'ServiceAccount', name: 'sa', namespace: 'dev' }],
  );
});

test('ServiceAccount, LimitRange and a basic Pod', () => {
  const sa = msg([1, meta('builder', 'dev')], [3, msg([1, 'regcred'])], [4, false]);
  assert.deepEqual(decodeK8sProtobuf(envelope('v1', 'ServiceAccount', sa)), {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'builder', namespace: 'dev' },
    imagePullSecrets: [{ name: 'regcred' }],
  });
  const lr = msg(
    [1, meta('lr', 'dev')],
    [2, msg([1, msg([1, 'Container'], mapEntry(4, 'memory', msg([1, '128Mi'])))])],
  );
  assert.deepEqual(decodeK8sProtobuf(envelope('v1', 'LimitRange', lr)).spec, {
    limits: [{ type: 'Container', default: { memory: '128Mi' } }],
  });
  const container = msg(
    [1, 'main'],
    [2, 'busybox'],
    [3, 'sleep'],
    [3, '3600'],
    [6, msg([3, 8080n], [4, 'TCP'])],
    [7, msg([1, 'A'], [2, 'x'])],
    [8, msg(mapEntry(1, 'memory', msg([1, '32Mi'])))],
    [9, msg([1, 'data'], [3, '/data'])],
  );
  const volume = msg([1, 'data'], [2, msg([2, msg()])]);
  const pod = msg([1, meta('p', 'dev')], [2, msg([1, volume], [2, container], [3, 'Never'], [4, 30n])]);
  assert.deepEqual(decodeK8sProtobuf(envelope('v1', 'Pod', pod)).spec, {
    volumes: [{ name: 'data', emptyDir: {} }],
    containers: [
      {
        name: 'main',
        image: 'busybox',
        command: ['sleep', '3600'],
        ports: [{ containerPort: 8080, protocol: 'TCP' }],
        env: [{ name: 'A', value: 'x' }],
        resources: { limits: { memory: '32Mi' } },
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      },
    ],
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: 30,
  });
});

test('negative int64 and unknown fields', () => {
  const m = msg([1, 'x'], [10, -5n], [99, 'ignored']);
  const obj = decodeK8sProtobuf(envelope('v1', 'ConfigMap', msg([1, m], [77, varint(3n)])));
  assert.deepEqual(obj.metadata, { name: 'x', deletionGracePeriodSeconds: -5 });
});

test('errors: bad magic, unknown kind, truncated data', () => {
  assert.throws(
    () => decodeK8sProtobuf(Buffer.from('{"kind":"Pod"}')),
    /does not start with the Kubernetes magic/,
  );
  assert.throws(
    () => decodeK8sProtobuf(envelope('apps/v1', 'Deployment', msg())),
    (e: unknown) =>
      e instanceof ProtobufError &&
      /^cannot decode Deployment \(apps\/v1\) from protobuf; protobuf request bodies are supported for Namespace, .*; send JSON$/.test(
        e.message,
      ),
  );
  const good = envelope('v1', 'ConfigMap', msg([1, meta('x')]));
  assert.throws(() => decodeK8sProtobuf(good.subarray(0, good.length - 3)), ProtobufError);
});
