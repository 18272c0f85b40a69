import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, updateManagedFields, PatchError } from '../../../src/api/patch/index.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const now = new Date('2025-06-01T00:00:00Z');
const base = { kind: 'Deployment', apiVersion: 'apps/v1', now };
const ssa = (live: object, config: object, manager = 'kubectl', force = false) =>
  applyPatch('application/apply-patch+yaml', live, JSON.stringify(config), {
    ...base,
    manager,
    force,
  }) as Obj;

const deploy = (replicas: number, image = 'nginx', extra: Obj = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: { replicas, template: { spec: { containers: [{ name: 'web', image, ...extra }] } } },
});

test('apply creates the object and records an Apply entry with FieldsV1', () => {
  const out = ssa({}, deploy(2));
  assert.equal(out.spec.replicas, 2);
  assert.deepEqual(out.metadata.managedFields, [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: '2025-06-01T00:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:template': {
            'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
          },
        },
      },
    },
  ]);
});

test("conflict with an Update manager gives Kubernetes' 409 message; force takes ownership", () => {
  const created = updateManagedFields(null, deploy(1), 'kubectl-client-side-apply', 'Update', { now });
  assert.throws(
    () => ssa(created, deploy(3)),
    (e: unknown) =>
      e instanceof PatchError &&
      e.code === 409 &&
      e.message ===
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas' &&
      e.causes[0]!.field === '.spec.replicas' &&
      e.causes[0]!.reason === 'FieldManagerConflict',
  );
  // Same values are shared, not conflicting.
  const shared = ssa(created, deploy(1));
  assert.equal(shared.metadata.managedFields.length, 2);
  const forced = ssa(created, deploy(3), 'kubectl', true);
  assert.equal(forced.spec.replicas, 3);
  const csa = forced.metadata.managedFields.find((m: Obj) => m.manager === 'kubectl-client-side-apply');
  assert.equal('f:replicas' in csa.fieldsV1['f:spec'], false);
});

test('several conflicts are listed per manager', () => {
  const created = updateManagedFields(null, deploy(1), 'other', 'Update', { now });
  assert.throws(
    () => ssa(created, deploy(3, 'httpd')),
    (e: unknown) =>
      e instanceof PatchError &&
      e.message ===
        'Apply failed with 2 conflicts: conflicts with "other" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image',
  );
});

test('dropping a field from the applied config removes it unless someone else owns it', () => {
  const v1 = ssa({}, deploy(2, 'nginx', { args: ['-x'] }));
  const noArgs = ssa(v1, deploy(2));
  assert.equal('args' in noArgs.spec.template.spec.containers[0], false);
  // replicas applied by two managers: removing it from one config keeps it.
  const two = ssa(v1, deploy(2, 'nginx', { args: ['-x'] }), 'ci');
  const cfg = deploy(2, 'nginx', { args: ['-x'] }) as Obj;
  delete cfg.spec.replicas;
  const kept = ssa(two, cfg);
  assert.equal(kept.spec.replicas, 2);
  // labels: removing the last key drops the emptied map
  const cfg2 = deploy(2, 'nginx', { args: ['-x'] }) as Obj;
  delete cfg2.metadata.labels;
  const unlabeled = ssa(v1, cfg2);
  assert.equal('labels' in unlabeled.metadata, false);
});

test('fields owned by nobody but not applied are kept; unapplied list items are removed', () => {
  const live = { ...deploy(1), status: { replicas: 1 } } as Obj;
  live.spec.paused = false; // never managed
  const a = ssa(live, deploy(2));
  assert.equal(a.spec.paused, false);
  assert.deepEqual(a.status, { replicas: 1 });
  const twoContainers = deploy(2) as Obj;
  twoContainers.spec.template.spec.containers.push({ name: 'side', image: 'busybox' });
  const b = ssa(a, twoContainers);
  assert.deepEqual(
    b.spec.template.spec.containers.map((c: Obj) => c.name),
    ['web', 'side'],
  );
  const c = ssa(b, deploy(2));
  assert.deepEqual(
    c.spec.template.spec.containers.map((x: Obj) => x.name),
    ['web'],
  );
});

test('apply validates its input', () => {
  const err = (fn: () => unknown, re: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof PatchError && e.code === 400 && re.test(e.message));
  err(() => ssa({}, { ...deploy(1), kind: 'Pod' }), /Incorrect kind specified in apply patch/);
  err(() => ssa({}, { ...deploy(1), apiVersion: 'v1' }), /Incorrect version specified/);
  err(
    () => applyPatch('application/apply-patch+yaml', {}, JSON.stringify(deploy(1)), base),
    /fieldManager: Required value/,
  );
  err(
    () => applyPatch('application/apply-patch+yaml', {}, 'kind: Deployment\n', { ...base, manager: 'm' }),
    /must be JSON/,
  );
});

test('updateManagedFields: Update takes ownership of changed fields, forgets removed ones', () => {
  const a = updateManagedFields(null, deploy(1), 'creator', 'Update', { now });
  const changed = deploy(5) as Obj;
  changed.metadata.managedFields = a.metadata && (a.metadata as Obj).managedFields;
  const b = updateManagedFields(a, changed, 'scaler', 'Update', { now }) as Obj;
  const byName = Object.fromEntries(b.metadata.managedFields.map((m: Obj) => [m.manager, m.fieldsV1]));
  assert.deepEqual(byName.scaler, { 'f:spec': { 'f:replicas': {} } });
  assert.equal('f:replicas' in byName.creator['f:spec'], false);
  // status changes on the main resource are not tracked
  const c = updateManagedFields(b, { ...b, status: { ready: 1 } }, 'kubelet', 'Update', { now }) as Obj;
  assert.equal(
    c.metadata.managedFields.some((m: Obj) => m.manager === 'kubelet'),
    false,
  );
  // ...but are on the status subresource
  const d = updateManagedFields(b, { ...b, status: { ready: 1 } }, 'kubelet', 'Update', {
    now,
    subresource: 'status',
  }) as Obj;
  const k = d.metadata.managedFields.find((m: Obj) => m.manager === 'kubelet');
  assert.deepEqual([k.subresource, k.fieldsV1], ['status', { 'f:status': { 'f:ready': {} } }]);
});

test('associative list keys with several fields (ports: containerPort+protocol)', () => {
  const live = ssa({}, deploy(1, 'nginx', { ports: [{ containerPort: 80 }] }));
  const fields =
    live.metadata.managedFields[0].fieldsV1['f:spec']['f:template']['f:spec']['f:containers'][
      'k:{"name":"web"}'
    ];
  assert.deepEqual(Object.keys(fields['f:ports']), ['k:{"containerPort":80,"protocol":"TCP"}']);
});

test('updateManagedFields: a writer swapping one field for another owns the new one; input is left as sent', () => {
  const a = updateManagedFields(null, deploy(1), 'creator', 'Update', { now }) as Obj;
  const swapped = structuredClone(a);
  swapped.metadata.labels = { tier: 'front' };
  const sent = JSON.stringify(swapped);
  const b = updateManagedFields(a, swapped, 'creator', 'Update', { now }) as Obj;
  assert.equal(JSON.stringify(swapped), sent);
  const creator = b.metadata.managedFields.find((m: Obj) => m.manager === 'creator');
  assert.deepEqual(creator.fieldsV1['f:metadata'], { 'f:labels': { 'f:tier': {} } });
  // An unchanged write keeps every entry as it was.
  const c = updateManagedFields(b, structuredClone(b), 'creator', 'Update', { now }) as Obj;
  assert.deepEqual(c.metadata.managedFields, b.metadata.managedFields);
});
