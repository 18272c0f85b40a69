// The kubelet's QoS formulas, pinned by tables (anchors §1.5): QoS class, container and pod
// cgroup resources (shares → v2 weight with the quadratic map, quota, memory limit, memory.high),
// oom_score_adj per class with the Burstable formula clamped to [3, 999], the burstable tier.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sharesToWeight } from '../../src/kernel/cgroup/index.js';
import {
  burstableShares,
  containerResources,
  memoryHigh,
  oomScoreAdj,
  podCgroupPath,
  podResources,
  qosClass,
} from '../../src/node/qos.js';
import type { Container, Pod, ResourceList } from '../../src/node/types.js';

const Mi = 1024 * 1024;
const Gi = 1024 * Mi;

function ctr(requests?: ResourceList, limits?: ResourceList, name = 'c'): Container {
  return {
    name,
    image: 'busybox',
    ...(requests || limits
      ? { resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } }
      : {}),
  };
}

function podOf(containers: Container[], initContainers?: Container[]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u1' },
    spec: { containers, ...(initContainers ? { initContainers } : {}) },
  };
}

test('QoS class as GetPodQOS computes it', () => {
  const table: [string, Pod, string][] = [
    ['nothing', podOf([ctr()]), 'BestEffort'],
    ['zero requests only', podOf([ctr({ cpu: '0', memory: '0' })]), 'BestEffort'],
    [
      'limits only (requests default to them)',
      podOf([ctr(undefined, { cpu: '1', memory: '64Mi' })]),
      'Guaranteed',
    ],
    [
      'requests = limits',
      podOf([ctr({ cpu: '500m', memory: '64Mi' }, { cpu: '0.5', memory: '64Mi' })]),
      'Guaranteed',
    ],
    ['cpu limit only', podOf([ctr(undefined, { cpu: '1' })]), 'Burstable'],
    ['memory request only', podOf([ctr({ memory: '64Mi' })]), 'Burstable'],
    [
      'requests below limits',
      podOf([ctr({ cpu: '250m', memory: '64Mi' }, { cpu: '500m', memory: '128Mi' })]),
      'Burstable',
    ],
    [
      'one guaranteed, one empty container',
      podOf([ctr(undefined, { cpu: '1', memory: '64Mi' }), ctr(undefined, undefined, 'b')]),
      'Burstable',
    ],
    ['only an init container asks', podOf([ctr()], [ctr({ cpu: '100m' }, undefined, 'i')]), 'Burstable'],
    [
      'init and app guaranteed',
      podOf(
        [ctr(undefined, { cpu: '1', memory: '64Mi' })],
        [ctr(undefined, { cpu: '2', memory: '1Gi' }, 'i')],
      ),
      'Guaranteed',
    ],
  ];
  for (const [what, pod, want] of table) assert.equal(qosClass(pod), want, what);
  assert.equal(podCgroupPath('u1', 'Guaranteed'), 'kubepods/podu1');
  assert.equal(podCgroupPath('u1', 'Burstable'), 'kubepods/burstable/podu1');
  assert.equal(podCgroupPath('u1', 'BestEffort'), 'kubepods/besteffort/podu1');
});

test('container CPU: shares from the request (→ v2 weight), quota from the limit', () => {
  // [requests.cpu, limits.cpu, shares, weight (quadratic map), quota µs]
  const table: [string | undefined, string | undefined, number, number, number | undefined][] = [
    [undefined, undefined, 2, 1, undefined],
    ['1', undefined, 1024, 100, undefined],
    ['500m', '1', 512, 59, 100000],
    ['2', '2', 2048, 174, 200000],
    [undefined, '1m', 2, 1, 1000], // request defaults to the limit: 1 m → 1 share → min 2; min quota
    ['250m', '1500m', 256, sharesToWeight(256), 150000],
    ['100', '100', 102400, 4429, 10000000],
  ];
  for (const [req, lim, shares, weight, quota] of table) {
    const r = containerResources(
      ctr(req ? { cpu: req } : undefined, lim ? { cpu: lim } : undefined),
      'v1',
      8 * Gi,
    );
    assert.equal(r.cpu?.shares, shares, `request ${req} limit ${lim}: shares`);
    assert.equal(sharesToWeight(r.cpu!.shares!), weight, `request ${req}: weight`);
    assert.equal(r.cpu?.quota, quota, `limit ${lim}: quota`);
    assert.equal(r.cpu?.period, quota === undefined ? undefined : 100000);
  }
});

test('container memory: limit, memory.high = floor((req + 0.9 × (limit − req)) / page) × page, oom.group', () => {
  const cap = 8 * Gi;
  // [requests.memory, limits.memory, memory.max, memory.high]
  const table: [string | undefined, string | undefined, number | undefined, number | undefined][] = [
    [undefined, undefined, undefined, 7730937856], // floor(0.9 × 8 GiB / 4096) × 4096
    ['64Mi', '128Mi', 128 * Mi, 127504384], // 64 Mi + 0.9 × 64 Mi = 127506841.6 → page-aligned down
    ['128Mi', '128Mi', 128 * Mi, undefined], // request = limit: no throttling
    [undefined, '100Mi', 100 * Mi, undefined], // request defaults to the limit
    ['100Mi', undefined, undefined, Math.floor((100 * Mi + 0.9 * (cap - 100 * Mi)) / 4096) * 4096],
    ['1', '4097', 4097, undefined], // 1 + 0.9 × 4096 = 3687.4 → 0 pages: not set
  ];
  for (const [req, lim, max, high] of table) {
    const c = ctr(req ? { memory: req } : undefined, lim ? { memory: lim } : undefined);
    const v2 = containerResources(c, 'v2', cap);
    assert.equal(v2.memory?.limit, max, `request ${req} limit ${lim}: memory.max`);
    assert.equal(v2.unified?.['memory.high'], high === undefined ? undefined : String(high), `${req}/${lim}`);
    assert.equal(v2.unified?.['memory.oom.group'], '1');
    const v1 = containerResources(c, 'v1', cap);
    assert.equal(v1.unified, undefined, 'v1 has no memory.high');
    assert.equal(v1.memory?.limit, max);
  }
  assert.equal(memoryHigh(64 * Mi, 128 * Mi, cap), 127504384);
  assert.equal(memoryHigh(64 * Mi, 64 * Mi, cap), undefined);
});

test('oom_score_adj per QoS class; Burstable 1000 − 1000·request/capacity clamped to [3, 999]', () => {
  const cap = 1_000_000_000;
  const table: [Parameters<typeof oomScoreAdj>[0], number, number][] = [
    ['Guaranteed', 0, -997],
    ['Guaranteed', cap, -997],
    ['BestEffort', 0, 1000],
    ['Burstable', 0, 999], // 1000 would equal BestEffort: one below
    ['Burstable', 1, 999],
    ['Burstable', 1_500_000, 999], // 1000 − floor(1.5) = 999
    ['Burstable', 2_000_000, 998],
    ['Burstable', 250_000_000, 750],
    ['Burstable', 500_000_000, 500],
    ['Burstable', 996_000_000, 4],
    ['Burstable', 997_000_000, 3],
    ['Burstable', 998_000_000, 3], // 2 → clamped up to 3 (above Guaranteed's 1000 − 997)
    ['Burstable', cap, 3],
    ['Burstable', 2 * cap, 3],
  ];
  for (const [qos, req, want] of table) assert.equal(oomScoreAdj(qos, req, cap), want, `${qos} ${req}`);
});

test('pod cgroup: summed shares; quota and memory limit only when every container has one', () => {
  const g = (cpu: string, memory: string, name = 'c') => ctr(undefined, { cpu, memory }, name);
  const table: [string, Pod, { shares: number; quota?: number; memory?: number }][] = [
    ['BestEffort', podOf([ctr()]), { shares: 2 }],
    [
      'Guaranteed, two containers',
      podOf([g('500m', '64Mi'), g('500m', '64Mi', 'b')]),
      { shares: 1024, quota: 100000, memory: 128 * Mi },
    ],
    [
      'Burstable, one container without limits',
      podOf([g('500m', '64Mi'), ctr({ cpu: '250m' }, undefined, 'b')]),
      { shares: 768 },
    ],
    [
      'Burstable, limits everywhere',
      podOf([ctr({ cpu: '100m', memory: '32Mi' }, { cpu: '200m', memory: '64Mi' }), g('1', '64Mi', 'b')]),
      { shares: 1126, quota: 120000, memory: 128 * Mi },
    ],
    [
      'a bigger init container sets the pod limits',
      podOf([g('500m', '64Mi')], [g('2', '256Mi', 'i')]),
      { shares: 2048, quota: 200000, memory: 256 * Mi },
    ],
  ];
  for (const [what, pod, want] of table) {
    const r = podResources(pod, qosClass(pod));
    assert.equal(r.cpu?.shares, want.shares, `${what}: shares`);
    assert.equal(r.cpu?.quota, want.quota, `${what}: quota`);
    assert.equal(r.memory?.limit, want.memory, `${what}: memory`);
  }
});

test('burstable tier shares: Σ burstable CPU requests (init containers as the max)', () => {
  const pods = [
    podOf([ctr({ cpu: '250m' }), ctr({ cpu: '250m' }, undefined, 'b')]),
    podOf([ctr(undefined, { cpu: '1', memory: '64Mi' })]), // Guaranteed: not counted
    podOf([ctr()]), // BestEffort
    podOf([ctr({ cpu: '100m' })], [ctr({ cpu: '1' }, undefined, 'i')]),
  ];
  assert.equal(burstableShares(pods), Math.floor(((500 + 1000) * 1024) / 1000));
  assert.equal(burstableShares([]), 2);
});
