// Resource handlers over HTTP: Tables, selectors, strict decoding, status codes, subresources,
// reviews, deletecollection and garbage collection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pod, startTestApi } from '../support/api.js';

const TABLE =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

test('resource handlers', async (t) => {
  const api = await startTestApi();
  t.after(() => api.server.stop());
  const ns = '/api/v1/namespaces/dev';
  assert.equal((await api.call('POST', '/api/v1/namespaces', { metadata: { name: 'dev' } })).status, 201);

  await t.test('create, get, Table list and get with row objects', async () => {
    const c = await api.call(
      'POST',
      `${ns}/pods?fieldManager=kubectl-create&fieldValidation=Strict`,
      pod('web', { metadata: { name: 'web', labels: { app: 'web' } } }),
    );
    assert.equal(c.status, 201);
    assert.equal(c.body.kind, 'Pod');
    assert.equal(c.body.metadata.managedFields[0].manager, 'kubectl-create');
    const table = await api.call('GET', `${ns}/pods?limit=500`, undefined, { Accept: TABLE });
    assert.equal(table.body.kind, 'Table');
    assert.deepEqual(table.body.columnDefinitions.map((c: { name: string }) => c.name).slice(0, 5), [
      'Name',
      'Ready',
      'Status',
      'Restarts',
      'Age',
    ]);
    assert.deepEqual(table.body.rows[0].cells.slice(0, 4), ['web', '0/1', 'Pending', '0']);
    assert.equal(table.body.rows[0].object.kind, 'PartialObjectMetadata');
    assert.deepEqual(table.body.rows[0].object.metadata.labels, { app: 'web' });
    const none = await api.call('GET', `${ns}/pods/web?includeObject=None`, undefined, { Accept: TABLE });
    assert.equal(none.body.rows[0].object, undefined);
    const nsTable = await api.call('GET', '/api/v1/namespaces', undefined, { Accept: TABLE });
    assert.deepEqual(
      nsTable.body.columnDefinitions.map((c: { name: string }) => c.name),
      ['Name', 'Status', 'Age'],
    );
    const list = await api.call('GET', `${ns}/pods`);
    assert.equal(list.body.kind, 'PodList');
    assert.ok(Number(list.body.metadata.resourceVersion) > 0);
    const missing = await api.call('GET', `${ns}/pods/nope`);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'pods' },
      code: 404,
    });
  });

  await t.test('label and field selectors', async () => {
    await api.call(
      'POST',
      `${ns}/pods`,
      pod('db', { metadata: { name: 'db', labels: { app: 'db', tier: 'back' } } }),
    );
    const names = async (q: string) =>
      (await api.call('GET', `${ns}/pods?${q}`)).body.items.map(
        (p: { metadata: { name: string } }) => p.metadata.name,
      );
    assert.deepEqual(await names('labelSelector=app%3Dweb'), ['web']);
    assert.deepEqual(await names('labelSelector=app%20in%20(web,db),!tier'), ['web']);
    assert.deepEqual(await names('fieldSelector=metadata.name%3Ddb'), ['db']);
    assert.deepEqual(await names('fieldSelector=status.phase!%3DPending'), []);
    const bad = await api.call('GET', `${ns}/pods?fieldSelector=spec.bogus%3Dx`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.message, 'field label not supported: spec.bogus');
    assert.equal((await api.call('GET', `${ns}/pods?labelSelector=a%3D%3D%3Db`)).status, 400);
    await api.call('POST', `${ns}/events`, {
      metadata: { name: 'e1' },
      involvedObject: { kind: 'Pod', name: 'db', namespace: 'dev' },
      reason: 'Started',
    });
    await api.call('POST', `${ns}/events`, {
      metadata: { name: 'e2' },
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'dev' },
      reason: 'Started',
    });
    const ev = await api.call(
      'GET',
      `${ns}/events?fieldSelector=involvedObject.name%3Ddb,involvedObject.kind%3DPod`,
    );
    assert.deepEqual(
      ev.body.items.map((e: { metadata: { name: string } }) => e.metadata.name),
      ['e1'],
    );
  });

  await t.test('strict, warn and ignore field validation', async () => {
    const body = {
      ...pod('x'),
      spec: { containers: [{ name: 'c', image: 'busybox', imagePullPolicyy: 'Always' }] },
    };
    const strict = await api.call('POST', `${ns}/pods?fieldValidation=Strict`, body);
    assert.equal(strict.status, 400);
    assert.equal(
      strict.body.message,
      'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagePullPolicyy"',
    );
    const warn = await api.call('POST', `${ns}/pods`, body);
    assert.equal(warn.status, 201);
    assert.match(
      warn.headers.get('warning') ?? '',
      /^299 - "unknown field \\"spec.containers\[0\].imagePullPolicyy\\""$/,
    );
    assert.equal(warn.body.spec.containers[0].imagePullPolicyy, undefined);
    const wrongKind = await api.call('POST', `${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'y' },
    });
    assert.equal(wrongKind.status, 400);
  });

  await t.test('PUT conflicts, PATCH types, dry run', async () => {
    const cur = (await api.call('GET', `${ns}/pods/web`)).body;
    const put = await api.call('PUT', `${ns}/pods/web`, {
      ...cur,
      metadata: { ...cur.metadata, labels: { app: 'web', v: '2' } },
    });
    assert.equal(put.status, 200);
    const stale = await api.call('PUT', `${ns}/pods/web`, cur);
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, 'Conflict');
    const merge = await api.call('PATCH', `${ns}/pods/web`, '{"metadata":{"labels":{"m":"1"}}}', {
      'Content-Type': 'application/merge-patch+json',
    });
    assert.equal(merge.body.metadata.labels.m, '1');
    const json = await api.call(
      'PATCH',
      `${ns}/pods/web`,
      '[{"op":"test","path":"/metadata/labels/m","value":"1"},{"op":"remove","path":"/metadata/labels/m"}]',
      { 'Content-Type': 'application/json-patch+json' },
    );
    assert.equal(json.status, 200);
    assert.equal(json.body.metadata.labels.m, undefined);
    const pinned = await api.call(
      'PATCH',
      `${ns}/pods/web`,
      '{"metadata":{"resourceVersion":"1","labels":{"z":"1"}}}',
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(pinned.status, 409);
    const yaml = await api.call('PATCH', `${ns}/pods/web`, 'x: y', { 'Content-Type': 'text/plain' });
    assert.equal(yaml.status, 415);
    const apply = await api.call(
      'PATCH',
      `${ns}/configmaps/applied?fieldManager=me`,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'applied' },
        data: { a: 'b' },
      }),
      { 'Content-Type': 'application/apply-patch+yaml' },
    );
    assert.equal(apply.status, 201);
    const dry = await api.call('POST', `${ns}/configmaps?dryRun=All`, { metadata: { name: 'dry' } });
    assert.equal(dry.status, 201);
    assert.equal((await api.call('GET', `${ns}/configmaps/dry`)).status, 404);
  });

  await t.test('pod subresources: status, binding, eviction, exec without a node', async () => {
    await api.call('POST', `${ns}/pods`, pod('sub'));
    const bind = await api.call('POST', `${ns}/pods/sub/binding`, {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'sub' },
      target: { kind: 'Node', name: 'n1' },
    });
    assert.equal(bind.status, 201);
    assert.equal((await api.call('GET', `${ns}/pods/sub`)).body.spec.nodeName, 'n1');
    const again = await api.call('POST', `${ns}/pods/sub/binding`, { target: { name: 'n2' } });
    assert.equal(again.status, 409);
    const st = await api.call('GET', `${ns}/pods/sub/status`);
    const put = await api.call('PUT', `${ns}/pods/sub/status`, {
      ...st.body,
      status: { ...st.body.status, phase: 'Running', podIP: '10.0.0.5' },
    });
    assert.equal(put.body.status.phase, 'Running');
    const row = await api.call('GET', `${ns}/pods/sub`, undefined, { Accept: TABLE });
    assert.equal(row.body.rows[0].cells[5], '10.0.0.5');
    const exec = await api.call('GET', `${ns}/pods/sub/exec?command=ls`);
    assert.equal(exec.status, 503);
    const evict = await api.call('POST', `${ns}/pods/sub/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'sub' },
      deleteOptions: { gracePeriodSeconds: 0 },
    });
    assert.equal(evict.status, 201);
    assert.equal((await api.call('GET', `${ns}/pods/sub`)).status, 404);
  });

  await t.test('reviews', async () => {
    const ssar = await api.call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      spec: { resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'dev' } },
    });
    assert.equal(ssar.status, 201);
    assert.equal(ssar.body.status.allowed, true);
    const who = await api.call(
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      { 'Impersonate-User': 'alice', 'Impersonate-Group': 'devs' },
    );
    assert.deepEqual(who.body.status.userInfo, {
      username: 'alice',
      groups: ['devs', 'system:authenticated'],
    });
    assert.equal(
      (await api.call('GET', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')).status,
      405,
    );
  });

  await t.test('deletecollection and garbage collection (background, orphan, foreground)', async () => {
    const owner = (await api.call('POST', `${ns}/configmaps`, { metadata: { name: 'owner' } })).body;
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid };
    await api.call('POST', `${ns}/configmaps`, { metadata: { name: 'dep1', ownerReferences: [ref] } });
    await api.call('DELETE', `${ns}/configmaps/owner`, { propagationPolicy: 'Background' });
    await api.server.settled();
    await waitGone(`${ns}/configmaps/dep1`);

    const o2 = (await api.call('POST', `${ns}/configmaps`, { metadata: { name: 'owner2' } })).body;
    await api.call('POST', `${ns}/configmaps`, {
      metadata: { name: 'dep2', ownerReferences: [{ ...ref, name: 'owner2', uid: o2.metadata.uid }] },
    });
    const orphaning = await api.call('DELETE', `${ns}/configmaps/owner2`, { propagationPolicy: 'Orphan' });
    assert.equal(orphaning.status, 202);
    await waitGone(`${ns}/configmaps/owner2`);
    assert.equal((await api.call('GET', `${ns}/configmaps/dep2`)).body.metadata.ownerReferences, undefined);

    const o3 = (await api.call('POST', `${ns}/configmaps`, { metadata: { name: 'owner3' } })).body;
    await api.call('POST', `${ns}/configmaps`, {
      metadata: { name: 'dep3', ownerReferences: [{ ...ref, name: 'owner3', uid: o3.metadata.uid }] },
    });
    const fg = await api.call('DELETE', `${ns}/configmaps/owner3`, { propagationPolicy: 'Foreground' });
    assert.deepEqual(fg.body.metadata.finalizers, ['foregroundDeletion']);
    await waitGone(`${ns}/configmaps/dep3`);
    await waitGone(`${ns}/configmaps/owner3`);

    for (const n of ['l1', 'l2', 'l3'])
      await api.call('POST', `${ns}/configmaps`, {
        metadata: { name: n, labels: { batch: n === 'l3' ? 'no' : 'yes' } },
      });
    const dc = await api.call('DELETE', `${ns}/configmaps?labelSelector=batch%3Dyes`);
    assert.deepEqual(
      dc.body.items.map((i: { metadata: { name: string } }) => i.metadata.name),
      ['l1', 'l2'],
    );
    assert.equal((await api.call('GET', `${ns}/configmaps/l3`)).status, 200);
  });

  await t.test('namespace deletion empties the namespace, then removes it', async () => {
    await api.call('POST', '/api/v1/namespaces', { metadata: { name: 'tmp' } });
    await api.call('POST', '/api/v1/namespaces/tmp/configmaps', { metadata: { name: 'c' } });
    const d = await api.call('DELETE', '/api/v1/namespaces/tmp');
    assert.equal(d.body.status.phase, 'Terminating');
    await waitGone('/api/v1/namespaces/tmp');
    assert.equal((await api.call('GET', '/api/v1/namespaces/tmp/configmaps/c')).status, 404);
  });

  async function waitGone(path: string) {
    for (let i = 0; i < 100; i++) {
      if ((await api.call('GET', path)).status === 404) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`${path} is still there`);
  }
});

test('the authorizer hook decides requests and access reviews', async (t) => {
  const api = await startTestApi({
    authorizer: (a) => ({
      allowed:
        a.user.username !== 'alice' ||
        (a.namespace === 'dev' && a.verb === 'get') ||
        a.resource === 'selfsubjectaccessreviews',
      reason: 'test policy',
    }),
  });
  t.after(() => api.server.stop());
  const alice = { 'Impersonate-User': 'alice' };
  const denied = await api.call('GET', '/api/v1/namespaces/prod/pods', undefined, alice);
  assert.equal(denied.status, 403);
  assert.equal(
    denied.body.message,
    'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "prod"',
  );
  const ns = await api.call('GET', '/api/v1/namespaces', undefined, alice);
  assert.equal(
    ns.body.message,
    'namespaces is forbidden: User "alice" cannot list resource "namespaces" in API group "" at the cluster scope',
  );
  const exec = await api.call('POST', '/api/v1/namespaces/dev/pods/web/exec', undefined, alice);
  assert.equal(
    exec.body.message,
    'pods "web" is forbidden: User "alice" cannot create resource "pods/exec" in API group "" in the namespace "dev"',
  );
  const review = (verb: string) =>
    api.call(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      { spec: { resourceAttributes: { namespace: 'dev', verb, resource: 'pods' } } },
      alice,
    );
  assert.equal((await review('get')).body.status.allowed, true);
  assert.equal((await review('delete')).body.status.allowed, false);
});

test('events.k8s.io/v1 and core/v1 events are one object in two representations', async (t) => {
  const api = await startTestApi();
  t.after(() => api.server.stop());
  await api.call('POST', '/api/v1/namespaces', { metadata: { name: 'dev' } });
  const v1 = await api.call('POST', '/apis/events.k8s.io/v1/namespaces/dev/events', {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'e1' },
    eventTime: '2026-01-01T00:00:00.000000Z',
    reportingController: 'corral/node',
    reportingInstance: 'node-1',
    action: 'Pulling',
    reason: 'Pulling',
    regarding: { kind: 'Pod', namespace: 'dev', name: 'web', uid: 'u1', apiVersion: 'v1' },
    note: 'Pulling image "busybox"',
    type: 'Normal',
  });
  assert.equal(v1.status, 201);
  assert.equal(v1.body.regarding.name, 'web');
  const core = await api.call('GET', '/api/v1/namespaces/dev/events?fieldSelector=involvedObject.name%3Dweb');
  assert.equal(core.body.items.length, 1);
  const e = core.body.items[0];
  assert.equal(e.apiVersion, 'v1');
  assert.equal(e.message, 'Pulling image "busybox"');
  assert.deepEqual(e.source, { component: 'corral/node', host: 'node-1' });
  assert.equal(e.metadata.resourceVersion, v1.body.metadata.resourceVersion);
  const back = await api.call('GET', '/apis/events.k8s.io/v1/namespaces/dev/events/e1');
  assert.equal(back.body.note, 'Pulling image "busybox"');
  assert.equal(back.body.reportingController, 'corral/node');
});
