// The in-process scheduler through the API: a pod no node fits is marked PodScheduled=False
// (once), a node that appears or changes gets the waiting pods, pods spread by node load, and a
// node selector is honoured.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pod, startTestApi, type TestApi } from '../support/api.js';

let api: TestApi;
before(async () => {
  api = await startTestApi({ scheduler: true });
});
after(() => api.server.stop());

const PODS = '/api/v1/namespaces/default/pods';
const node = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels },
});
const readyStatus = {
  conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready' }],
};

/** Polls GET path until `pred` holds for the body (the scheduler works asynchronously). */
async function until<T>(path: string, pred: (o: T) => boolean, what: string): Promise<T> {
  let last: unknown;
  for (let i = 0; i < 200; i++) {
    const r = await api.call('GET', path);
    last = r.body;
    if (r.status === 200 && pred(r.body as T)) return r.body as T;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`${what}: not reached; last: ${JSON.stringify(last).slice(0, 400)}`);
}

type Pod = {
  metadata: { resourceVersion: string };
  spec: { nodeName?: string };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
};
const scheduledCond = (p: Pod) => p.status?.conditions?.find((c) => c.type === 'PodScheduled');

async function addReadyNode(name: string, labels: Record<string, string> = {}): Promise<void> {
  assert.equal((await api.call('POST', '/api/v1/nodes', node(name, labels))).status, 201);
  const st = await api.call(
    'PATCH',
    `/api/v1/nodes/${name}/status`,
    { status: readyStatus },
    {
      'Content-Type': 'application/merge-patch+json',
    },
  );
  assert.equal(st.status, 200, JSON.stringify(st.body));
}

describe('scheduler', () => {
  it('marks a pod unschedulable once while no node exists, and binds it when a node is ready', async () => {
    assert.equal((await api.call('POST', PODS, pod('waits'))).status, 201);
    const marked = await until<Pod>(`${PODS}/waits`, (p) => scheduledCond(p)?.status === 'False', 'marked');
    assert.equal(scheduledCond(marked)?.reason, 'Unschedulable');
    assert.equal(scheduledCond(marked)?.message, 'no nodes available to schedule pods');
    // A write to the waiting pod queues it again; the same verdict is not written twice.
    const labelled = await api.call(
      'PATCH',
      `${PODS}/waits`,
      { metadata: { labels: { touched: 'yes' } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(labelled.status, 200);
    await new Promise((r) => setTimeout(r, 300));
    const after = (await api.call('GET', `${PODS}/waits`)).body as Pod;
    assert.equal(after.metadata.resourceVersion, (labelled.body as Pod).metadata.resourceVersion);

    await addReadyNode('n1');
    const bound = await until<Pod>(`${PODS}/waits`, (p) => !!p.spec.nodeName, 'bound');
    assert.equal(bound.spec.nodeName, 'n1');
  });

  it('spreads new pods over the ready nodes by how many pods each runs', async () => {
    await addReadyNode('n2');
    for (const name of ['s1', 's2', 's3'])
      assert.equal((await api.call('POST', PODS, pod(name))).status, 201);
    const placed: string[] = [];
    for (const name of ['s1', 's2', 's3'])
      placed.push((await until<Pod>(`${PODS}/${name}`, (p) => !!p.spec.nodeName, name)).spec.nodeName!);
    // n1 already runs `waits`: of four pods, each node ends with two.
    const count = (n: string) => placed.filter((x) => x === n).length + (n === 'n1' ? 1 : 0);
    assert.deepEqual([count('n1'), count('n2')], [2, 2], placed.join(','));
  });

  it('leaves a pod whose node selector no node matches unschedulable, naming the node count', async () => {
    const p = pod('picky', {
      spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'c', image: 'busybox' }] },
    });
    assert.equal((await api.call('POST', PODS, p)).status, 201);
    const marked = await until<Pod>(`${PODS}/picky`, (x) => scheduledCond(x)?.status === 'False', 'marked');
    assert.match(scheduledCond(marked)?.message ?? '', /^0\/2 nodes are available/);
    await addReadyNode('n3', { disk: 'ssd' });
    const bound = await until<Pod>(`${PODS}/picky`, (x) => !!x.spec.nodeName, 'bound');
    assert.equal(bound.spec.nodeName, 'n3');
  });
});
