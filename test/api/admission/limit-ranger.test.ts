// LimitRanger over real HTTP: a namespace's LimitRange fills in container resources on create
// and holds containers and pods to min/max/ratio with Kubernetes' messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { podWith, startAdmissionApi } from './support.js';

const limits = (items: unknown[]) => ({
  apiVersion: 'v1',
  kind: 'LimitRange',
  metadata: { name: 'limits' },
  spec: { limits: items },
});

test('LimitRange defaults appear on created pods, with the QoS class they imply', async (t) => {
  const api = await startAdmissionApi();
  t.after(() => api.stop());
  await api.namespace('dev');
  const lr = await api.call(
    'POST',
    '/api/v1/namespaces/dev/limitranges',
    limits([
      { type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m' } },
    ]),
  );
  assert.equal(lr.status, 201, JSON.stringify(lr.body));
  // LimitRange defaulting: defaultRequest.memory follows default.memory.
  assert.deepEqual(lr.body.spec.limits[0].defaultRequest, { cpu: '100m', memory: '256Mi' });
  const p = await api.call('POST', '/api/v1/namespaces/dev/pods', podWith('web'));
  assert.equal(p.status, 201, JSON.stringify(p.body));
  assert.deepEqual(p.body.spec.containers[0].resources, {
    limits: { cpu: '500m', memory: '256Mi' },
    requests: { cpu: '100m', memory: '256Mi' },
  });
  assert.equal(p.body.status.qosClass, 'Burstable');
  assert.equal(
    p.body.metadata.annotations['kubernetes.io/limit-ranger'],
    'LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c',
  );
  // What the pod sets itself is kept.
  const own = await api.call(
    'POST',
    '/api/v1/namespaces/dev/pods',
    podWith('own', { resources: { limits: { cpu: '200m' } } }),
  );
  assert.deepEqual(own.body.spec.containers[0].resources, {
    limits: { cpu: '200m', memory: '256Mi' },
    requests: { cpu: '200m', memory: '256Mi' },
  });
});

test('max, min and maxLimitRequestRatio are enforced per Container and per Pod', async (t) => {
  const api = await startAdmissionApi();
  t.after(() => api.stop());
  await api.namespace('dev');
  const lr = await api.call(
    'POST',
    '/api/v1/namespaces/dev/limitranges',
    limits([
      { type: 'Container', max: { cpu: '1' }, min: { memory: '64Mi' }, maxLimitRequestRatio: { cpu: '2' } },
      { type: 'Pod', max: { memory: '1Gi' } },
    ]),
  );
  assert.equal(lr.status, 201, JSON.stringify(lr.body));
  const big = await api.call(
    'POST',
    '/api/v1/namespaces/dev/pods',
    podWith('big', { resources: { limits: { cpu: '2', memory: '32Mi' }, requests: { cpu: '1500m' } } }),
  );
  assert.equal(big.status, 403);
  assert.equal(big.body.reason, 'Forbidden');
  assert.equal(
    big.body.message,
    'pods "big" is forbidden: [minimum memory usage per Container is 64Mi, but request is 32Mi, maximum cpu usage per Container is 1, but limit is 2]',
  );
  const fine = { limits: { cpu: '1', memory: '600Mi' }, requests: { cpu: '500m' } };
  const ok = await api.call('POST', '/api/v1/namespaces/dev/pods', podWith('ok', { resources: fine }));
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  const ratio = await api.call(
    'POST',
    '/api/v1/namespaces/dev/pods',
    podWith('ratio', { resources: { limits: { cpu: '1', memory: '64Mi' }, requests: { cpu: '250m' } } }),
  );
  assert.equal(
    ratio.body.message,
    'pods "ratio" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000',
  );
  const small = await api.call(
    'POST',
    '/api/v1/namespaces/dev/pods',
    podWith('small', { resources: { limits: { cpu: '1', memory: '32Mi' } } }),
  );
  assert.equal(
    small.body.message,
    'pods "small" is forbidden: minimum memory usage per Container is 64Mi, but request is 32Mi',
  );
  // Two containers that fit alone, but not together: the Pod item sums them.
  const pair = await api.call('POST', '/api/v1/namespaces/dev/pods', {
    ...podWith('pair'),
    spec: {
      containers: [
        { name: 'a', image: 'busybox', resources: fine },
        { name: 'b', image: 'busybox', resources: fine },
      ],
    },
  });
  assert.equal(pair.status, 403);
  assert.equal(
    pair.body.message,
    'pods "pair" is forbidden: maximum memory usage per Pod is 1Gi, but limit is 1200Mi',
  );
});

test('an invalid LimitRange names the field', async (t) => {
  const api = await startAdmissionApi();
  t.after(() => api.stop());
  await api.namespace('dev');
  const r = await api.call(
    'POST',
    '/api/v1/namespaces/dev/limitranges',
    limits([{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }]),
  );
  assert.equal(r.status, 422, JSON.stringify(r.body));
  assert.match(
    r.body.message,
    /spec\.limits\[0\]\.min\[cpu\]: Invalid value: "2": min value 2 is greater than max value 1/,
  );
});
