import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, PatchError } from '../../../src/api/patch/index.js';

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'bb', labels: { app: 'bb' }, finalizers: ['a', 'b'] },
  spec: {
    containers: [
      {
        name: 'bb',
        image: 'busybox',
        command: ['sleep', '3600'],
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
      },
      { name: 'side', image: 'nginx', ports: [{ containerPort: 80 }] },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
    tolerations: [{ key: 'x', operator: 'Exists' }],
  },
};
const smp = (patch: unknown, obj: object = pod) =>
  applyPatch('application/strategic-merge-patch+json', obj, JSON.stringify(patch), {
    kind: 'Pod',
    apiVersion: 'v1',
  }) as typeof pod;

test('kubectl apply (client-side) patch: $setElementOrder and merge by name', () => {
  const out = smp({
    metadata: {
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      labels: { tier: 'prod' },
    },
    spec: {
      '$setElementOrder/containers': [{ name: 'bb' }, { name: 'side' }],
      containers: [{ command: ['sleep', '3601'], name: 'bb' }],
    },
  });
  assert.deepEqual(out.spec.containers[0], { ...pod.spec.containers[0], command: ['sleep', '3601'] });
  assert.deepEqual(out.spec.containers[1], pod.spec.containers[1]);
  assert.deepEqual(out.metadata.labels, { app: 'bb', tier: 'prod' });
});

test('merge lists by key, new items, null deletes a field, $patch: delete removes an item', () => {
  const out = smp({
    spec: {
      containers: [
        {
          name: 'bb',
          env: [
            { name: 'B', value: '3' },
            { name: 'C', value: 'c' },
          ],
          image: null,
        },
        { name: 'side', $patch: 'delete' },
        { name: 'new', image: 'alpine' },
      ],
    },
  });
  assert.deepEqual(
    out.spec.containers.map((c) => c.name),
    ['bb', 'new'],
  );
  const bb = out.spec.containers[0] as Record<string, unknown>;
  assert.equal('image' in bb, false);
  assert.deepEqual(bb.env, [
    { name: 'A', value: '1' },
    { name: 'B', value: '3' },
    { name: 'C', value: 'c' },
  ]);
});

test('lists without a merge strategy are replaced; $patch: replace replaces merge lists and maps', () => {
  const out = smp({
    spec: {
      tolerations: [{ key: 'y', operator: 'Exists' }],
      containers: [{ name: 'only', image: 'i' }, { $patch: 'replace' }],
    },
  });
  assert.deepEqual(out.spec.tolerations, [{ key: 'y', operator: 'Exists' }]);
  assert.deepEqual(out.spec.containers, [{ name: 'only', image: 'i' }]);
  const out2 = smp({ metadata: { labels: { $patch: 'replace', only: 'x' } } });
  assert.deepEqual(out2.metadata.labels, { only: 'x' });
  const out3 = smp({ metadata: { labels: { $patch: 'delete' } } });
  assert.deepEqual(out3.metadata.labels, {});
});

test('primitive merge lists: finalizers union and $deleteFromPrimitiveList', () => {
  const out = smp({ metadata: { finalizers: ['c', 'a'], '$deleteFromPrimitiveList/finalizers': ['b'] } });
  assert.deepEqual(out.metadata.finalizers, ['c', 'a']);
  const out2 = smp({ metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } });
  assert.deepEqual(out2.metadata.finalizers, ['b']);
});

test('$retainKeys keeps only the listed keys of the original', () => {
  const out = smp({
    spec: { volumes: [{ name: 'data', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/x' } }] },
  });
  assert.deepEqual(out.spec.volumes, [{ name: 'data', hostPath: { path: '/x' } }]);
});

test('element order follows Kubernetes: new patch items before server-only ones', () => {
  const out = smp({ spec: { containers: [{ name: 'z', image: 'z' }] } });
  assert.deepEqual(
    out.spec.containers.map((c) => c.name),
    ['z', 'bb', 'side'],
  );
  const out2 = smp({ spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'bb' }] } });
  assert.deepEqual(
    out2.spec.containers.map((c) => c.name),
    ['side', 'bb'],
  );
});

test('ports merge by containerPort; directives never leak into new fields', () => {
  const out = smp({
    spec: {
      containers: [{ name: 'side', ports: [{ containerPort: 443, name: 'https' }] }],
      nodeSelector: { a: 'b', gone: null },
    },
  });
  assert.deepEqual(out.spec.containers[1]!.ports, [
    { containerPort: 443, name: 'https' },
    { containerPort: 80 },
  ]);
  assert.deepEqual((out.spec as Record<string, unknown>).nodeSelector, { a: 'b' });
});

test('errors: missing merge key and bad directives', () => {
  assert.throws(
    () => smp({ spec: { containers: [{ image: 'x' }] } }),
    (e: unknown) =>
      e instanceof PatchError &&
      e.code === 422 &&
      /does not contain declared merge key: name/.test(e.message),
  );
  assert.throws(() => smp({ metadata: { $patch: 'explode' } }), /unknown patch type/);
  assert.throws(() => smp([1]), /must be a JSON object/);
});
