// The node agent under pure cgroup v2 (this file runs inside ../shared/vm/cgroup2-vm): the
// kubelet's hierarchy kubepods/<qos>/pod<uid>/<container> with the kubelet's v2 formulas in the
// kernel's files (cpu.weight from the CPU request by runc's shares map, cpu.max from the limit, memory.max, memory.high
// for Burstable memory, memory.oom.group), and a memory hog pod ends OOMKilled (137) while its
// neighbour runs on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, nodeInstance, pod, waitFor } from './support.js';

const v2 = readFileSync('/proc/self/mountinfo', 'utf8')
  .split('\n')
  .some((l) => l.split(' ')[4] === '/sys/fs/cgroup' && l.includes(' - cgroup2 '));
const skip = (!isRoot && 'needs root') || (!v2 && 'needs pure cgroup v2 (run in cgroup2-vm)');

const PODS = `apiVersion: v1
kind: Pod
metadata: {name: burst}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sleep, '3600']
    resources: {requests: {cpu: 100m, memory: 32Mi}, limits: {cpu: 500m, memory: 64Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: hog
    image: busybox
    command: [sh, -c, 'x=$(yes | head -c 100000000); echo survived']
    resources: {limits: {memory: 16Mi}}
  - name: calm
    image: busybox
    command: [sleep, '3600']
    resources: {limits: {memory: 16Mi}}
`;

test(
  'v2: pod cgroups carry the kubelet formulas; a memory hog is OOMKilled',
  { skip, timeout: 600_000 },
  async (t) => {
    const n = nodeInstance(t);
    n.write('pods.yaml', PODS);
    await n.agent.start();
    const burst = await waitFor(
      'burst running',
      () => pod(n.agent, 'burst')?.status.phase === 'Running' && pod(n.agent, 'burst'),
      300_000,
    );
    const ctr = n.agent.worker('burst')!.running('main')!;
    const podDir = Object.values(n.agent.ctx.driver.manager(`kubepods/burstable/pod${burst.uid}`).dirs())[0]!;
    const file = (f: string) => readFileSync(join(podDir, ctr.id, f), 'utf8').trim();
    assert.equal(file('memory.max'), String(64 * 1024 * 1024));
    // request + 0.9 × (limit − request), in whole pages
    assert.equal(file('memory.high'), String(Math.floor(((32 + 0.9 * 32) * 1024 * 1024) / 4096) * 4096));
    assert.equal(file('memory.oom.group'), '1');
    assert.equal(file('cpu.max'), '50000 100000');
    // shares 102 → weight 17: the quadratic map runc 1.3 and crun use (1024 → 100, 2 → 1)
    assert.equal(file('cpu.weight'), '17');
    assert.ok(
      readFileSync(join(podDir, ctr.id, 'cgroup.procs'), 'utf8')
        .split('\n')
        .includes(String(ctr.pid)),
    );

    const hog = await waitFor(
      'hog terminated',
      () => pod(n.agent, 'hog')?.status.containerStatuses[0]?.state.terminated,
      300_000,
    );
    assert.equal(hog.reason, 'OOMKilled');
    assert.equal(hog.exitCode, 137);
    assert.ok(pod(n.agent, 'hog')!.status.containerStatuses[1]!.state.running, 'the neighbour runs on');
  },
);
