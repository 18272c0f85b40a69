// Discovery, OpenAPI, version and health over HTTP, in the shapes kubectl 1.32 needs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApi } from '../support/api.js';

test('discovery, openapi, version and health', async (t) => {
  const api = await startTestApi();
  t.after(() => api.server.stop());

  const v = await api.call('GET', '/version?timeout=5s');
  assert.equal(v.body.minor, '32');
  assert.match(v.body.gitVersion, /^v1\.32\.\d+/);
  assert.equal(v.headers.get('cache-control'), 'no-cache, private');

  const accept =
    'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
  const agg = await api.call('GET', '/api', undefined, { Accept: accept });
  assert.equal(
    agg.headers.get('content-type'),
    'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  );
  const podsRes = agg.body.items[0].versions[0].resources.find(
    (r: { resource: string }) => r.resource === 'pods',
  );
  assert.deepEqual(podsRes.shortNames, ['po']);
  assert.equal(podsRes.scope, 'Namespaced');
  assert.ok(podsRes.subresources.some((s: { subresource: string }) => s.subresource === 'status'));
  const aggApis = await api.call('GET', '/apis', undefined, { Accept: accept });
  const groups = aggApis.body.items.map((i: { metadata: { name: string } }) => i.metadata.name);
  for (const g of [
    'rbac.authorization.k8s.io',
    'networking.k8s.io',
    'coordination.k8s.io',
    'authorization.k8s.io',
    'authentication.k8s.io',
    'events.k8s.io',
  ])
    assert.ok(groups.includes(g), g);

  const legacy = await api.call('GET', '/apis');
  assert.equal(legacy.body.kind, 'APIGroupList');
  assert.equal((await api.call('GET', '/api')).body.versions[0], 'v1');
  const v1 = await api.call('GET', '/api/v1');
  const names = v1.body.resources.map((r: { name: string }) => r.name);
  for (const n of [
    'pods',
    'pods/status',
    'pods/binding',
    'pods/eviction',
    'pods/log',
    'pods/exec',
    'namespaces',
    'configmaps',
    'secrets',
    'serviceaccounts',
    'events',
    'nodes',
    'nodes/status',
    'resourcequotas',
    'resourcequotas/status',
    'limitranges',
    'services',
  ]) {
    assert.ok(names.includes(n), n);
  }
  const rbac = await api.call('GET', '/apis/rbac.authorization.k8s.io/v1');
  assert.equal(rbac.body.groupVersion, 'rbac.authorization.k8s.io/v1');
  assert.equal((await api.call('GET', '/apis/nope.example.com/v1')).status, 404);

  const root = await api.call('GET', '/openapi/v3');
  assert.match(root.body.paths['api/v1'].serverRelativeURL, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]+$/);
  assert.ok(root.body.paths['apis/networking.k8s.io/v1']);
  const doc = await api.call('GET', '/openapi/v3/api/v1');
  const patchOp = doc.body.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch;
  assert.deepEqual(patchOp['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Pod' });
  assert.ok(
    patchOp.parameters.some(
      (p: { name: string; in: string }) => p.name === 'fieldValidation' && p.in === 'query',
    ),
  );
  assert.equal(patchOp.requestBody.content['application/strategic-merge-patch+json'], undefined);
  assert.ok(doc.body.components.schemas['io.k8s.api.core.v1.Pod'].properties.spec.properties.containers);

  for (const p of ['/healthz', '/livez', '/readyz']) assert.equal((await api.call('GET', p)).body, 'ok');
});
