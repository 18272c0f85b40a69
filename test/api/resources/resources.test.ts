// Per-kind strategies and printers, and the schema's strict-field walk.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sameJSON } from '../../../src/api/resources/canonical.js';
import { events } from '../../../src/api/resources/events.js';
import { podPhaseReason, pods } from '../../../src/api/resources/pods.js';
import { humanDuration } from '../../../src/api/resources/print.js';
import { rolebindings } from '../../../src/api/resources/rbac.js';
import { unknownFields } from '../../../src/api/resources/schema.js';
import { secrets } from '../../../src/api/resources/config.js';
import type { KObject } from '../../../src/api/resources/types.js';
import { nameErrors } from '../../../src/api/resources/validation.js';

test('ages as kubectl prints them', () => {
  assert.equal(humanDuration(5_000), '5s');
  assert.equal(humanDuration(150_000), '2m30s');
  assert.equal(humanDuration(3 * 3600_000 + 5 * 60_000), '3h5m');
  assert.equal(humanDuration(50 * 3600_000), '2d2h');
  assert.equal(humanDuration(400 * 86400_000), '400d');
});

test('pod STATUS column follows kubectl printers', () => {
  const p = (status: object, extra: Partial<KObject['metadata']> = {}): KObject => ({
    metadata: { name: 'p', ...extra },
    spec: { containers: [{ name: 'c' }] },
    status,
  });
  assert.equal(podPhaseReason(p({ phase: 'Pending' })), 'Pending');
  assert.equal(
    podPhaseReason(
      p({
        phase: 'Pending',
        containerStatuses: [{ name: 'c', state: { waiting: { reason: 'ImagePullBackOff' } } }],
      }),
    ),
    'ImagePullBackOff',
  );
  assert.equal(
    podPhaseReason(
      p({ phase: 'Running', containerStatuses: [{ name: 'c', ready: true, state: { running: {} } }] }),
    ),
    'Running',
  );
  assert.equal(
    podPhaseReason(
      p({ phase: 'Failed', containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 3 } } }] }),
    ),
    'ExitCode:3',
  );
  assert.equal(
    podPhaseReason(p({ phase: 'Running' }, { deletionTimestamp: '2026-01-01T00:00:00Z' })),
    'Terminating',
  );
  const row = pods.strategy.table!.cells(
    p({
      phase: 'Running',
      podIP: '10.0.0.2',
      containerStatuses: [{ name: 'c', ready: true, restartCount: 2, state: { running: {} } }],
    }),
    new Date(),
  );
  assert.deepEqual(row.slice(1, 4), ['1/1', 'Running', '2']);
  assert.equal(row[5], '10.0.0.2');
});

test('events print OBJECT as kind/name; field selectors cover involvedObject', () => {
  const e: KObject = {
    metadata: { name: 'e', creationTimestamp: new Date().toISOString() },
    involvedObject: { kind: 'Pod', name: 'web', uid: 'u1' },
    reason: 'Pulled',
    type: 'Normal',
    message: 'done',
  };
  const cells = events.strategy.table!.cells(e, new Date());
  assert.deepEqual(cells.slice(1, 5), ['Normal', 'Pulled', 'pod/web', 'done']);
  assert.equal(events.strategy.fields!(e)['involvedObject.uid'], 'u1');
});

test('defaults and validation of secrets and role bindings', () => {
  const s: KObject = { metadata: { name: 's' }, stringData: { p: 'secret' } };
  secrets.strategy.defaults!(s);
  assert.deepEqual(s, {
    metadata: { name: 's' },
    type: 'Opaque',
    data: { p: Buffer.from('secret').toString('base64') },
  });
  const rb: KObject = {
    metadata: { name: 'rb' },
    roleRef: { kind: 'Secret', name: 'x', apiGroup: 'rbac.authorization.k8s.io' },
    subjects: [{ kind: 'User', name: 'alice' }],
  };
  rolebindings.strategy.defaults!(rb);
  assert.equal((rb.subjects as Array<{ apiGroup: string }>)[0]!.apiGroup, 'rbac.authorization.k8s.io');
  assert.deepEqual(
    rolebindings.strategy.validate!(rb).map((e) => e.field),
    ['roleRef.kind'],
  );
});

test('strict decoding names unknown fields with their paths', () => {
  const o = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'x', labelz: {} },
    spec: {
      containers: [{ name: 'c', imagePullPolicyy: 'Always', securityContext: { anything: true } }],
      nodeSelector: { a: 'b' },
    },
    extra: 1,
  };
  assert.deepEqual(unknownFields(o, pods.schema), [
    'metadata.labelz',
    'spec.containers[0].imagePullPolicyy',
    'extra',
  ]);
});

test('names and canonical JSON', () => {
  assert.deepEqual(nameErrors('ok-name.x', 'subdomain'), []);
  assert.equal(nameErrors('dev.x', 'label').length, 1);
  assert.deepEqual(nameErrors('system:admin', 'path-segment'), []);
  assert.ok(sameJSON({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }));
  assert.ok(!sameJSON({ a: [1, 2] }, { a: [2, 1] }));
});
