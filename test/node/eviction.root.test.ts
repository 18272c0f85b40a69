// Node-pressure eviction with real pods and a fake MemAvailable: under the threshold the
// BestEffort pod goes first, then the Burstable pod over its memory request; a Burstable pod
// within its request and a Guaranteed pod stay. Evicted pods end Failed/Evicted with the
// kubelet's message, their processes gone, and are not restarted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { processAlive } from '../../src/oci/proc.js';
import { isRoot, logText, nodeInstance, pod, waitFor } from './support.js';

const skip = !isRoot && 'needs root';
const Mi = 1024 * 1024;

const PODS = `apiVersion: v1
kind: Pod
metadata: {name: besteffort}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - {name: c, image: busybox, command: [sleep, '3600']}
---
apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: c
    image: busybox
    command: [sh, -c, 'x=$(head -c 6000000 /dev/zero | tr "\\\\0" a); echo held; while :; do sleep 1; done']
    resources: {requests: {memory: 1Mi}, limits: {memory: 64Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: modest}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: [sleep, '3600']
    resources: {requests: {memory: 32Mi}, limits: {memory: 64Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: guaranteed}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: [sleep, '3600']
    resources: {limits: {cpu: 100m, memory: 32Mi}}
`;

test(
  'memory pressure evicts BestEffort, then Burstable over request; Failed with reason Evicted',
  { skip },
  async (t) => {
    let available = 500 * Mi;
    const n = nodeInstance(t, {
      evictionHard: 'memory.available<100Mi',
      evictionIntervalMs: 3_600_000, // passes are driven by the test
      memAvailable: () => available,
    });
    n.write('pods.yaml', PODS);
    await n.agent.start();
    const names = ['besteffort', 'hog', 'modest', 'guaranteed'];
    await waitFor('all running', () => names.every((p) => pod(n.agent, p)?.status.phase === 'Running'));
    const hog = pod(n.agent, 'hog')!;
    await waitFor('hog holds its memory', () => logText(n.dataDir, hog.uid, 'c') === 'held');
    const pids = Object.fromEntries(names.map((p) => [p, n.agent.worker(p)!.running('c')!.pid]));
    const sandboxes = Object.fromEntries(names.map((p) => [p, pod(n.agent, p)!.sandboxPid!]));
    const ev = n.agent.eviction!;
    assert.equal(await ev.synchronize(), undefined, 'no pressure, no eviction');

    available = 60 * Mi;
    const t0 = Date.now();
    assert.equal(await ev.synchronize(), 'default/besteffort');
    assert.ok(Date.now() - t0 < 3000, 'hard eviction does not wait for the grace period');
    const be = pod(n.agent, 'besteffort')!.status;
    assert.equal(be.phase, 'Failed');
    assert.equal(be.reason, 'Evicted');
    assert.match(
      be.message!,
      /^The node was low on resource: memory\. Threshold quantity: 100Mi, available: 60Mi\. Container c was using \d+(Ki)?, request is 0, has larger consumption of memory\. $/,
    );
    assert.deepEqual(
      be.conditions.find((c) => c.type === 'DisruptionTarget'),
      { type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message: be.message },
    );
    assert.ok(be.containerStatuses[0]!.state.terminated, JSON.stringify(be.containerStatuses[0]));
    assert.equal(processAlive(pids.besteffort!), false);
    assert.equal(processAlive(sandboxes.besteffort!), false, 'the pause process is gone too');

    assert.equal(await ev.synchronize(), 'default/hog');
    const h = pod(n.agent, 'hog')!.status;
    assert.equal(h.reason, 'Evicted');
    const used = /was using (\d+)Ki, request is 1Mi/.exec(h.message!);
    assert.ok(used && Number(used[1]) * 1024 > 6_000_000, h.message);
    assert.equal(processAlive(pids.hog!), false);

    assert.equal(await ev.synchronize(), undefined, 'within requests and Guaranteed: left alone');
    for (const p of ['modest', 'guaranteed']) {
      assert.equal(pod(n.agent, p)!.status.phase, 'Running', p);
      assert.ok(processAlive(pids[p]!), p);
    }
    // Evicted pods stay down (restartPolicy Always notwithstanding).
    await new Promise((r) => setTimeout(r, 1000));
    for (const p of ['besteffort', 'hog']) {
      const st = pod(n.agent, p)!.status;
      assert.equal(st.phase, 'Failed', p);
      assert.equal(st.containerStatuses[0]!.restartCount, 0, p);
    }
  },
);
