// Eviction pieces without a kernel: the --eviction-hard syntax, MemAvailable, quantities as the
// kubelet prints them, its message, and the ranking (BestEffort, then Burstable over request).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  EvictionManager,
  evictionMessage,
  formatBytes,
  parseEvictionHard,
  rankForEviction,
  readMemAvailable,
  type Candidate,
  type EvictablePod,
} from '../../src/node/eviction.js';

const Mi = 1024 * 1024;

test('--eviction-hard: memory.available<QUANTITY or <N%; clear errors otherwise', () => {
  assert.deepEqual(parseEvictionHard('memory.available<100Mi'), {
    signal: 'memory.available',
    bytes: 100 * Mi,
    text: '100Mi',
  });
  assert.deepEqual(parseEvictionHard('memory.available<10%'), {
    signal: 'memory.available',
    percentage: 0.1,
    text: '10%',
  });
  assert.equal(parseEvictionHard(''), undefined);
  assert.throws(() => parseEvictionHard('nodefs.available<10%'), /not supported; give memory.available</);
  assert.throws(() => parseEvictionHard('memory.available<150%'), /within 0%/);
  assert.throws(() => parseEvictionHard('memory.available<lots'), /memory.available/);
});

test('MemAvailable in bytes; quantities printed as resource.Quantity does', (t) => {
  const d = mkdtempSync(join(tmpdir(), 'corral-meminfo-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  const f = join(d, 'meminfo');
  writeFileSync(f, 'MemTotal:       16000000 kB\nMemFree:  100 kB\nMemAvailable:     91504 kB\n');
  assert.equal(readMemAvailable(f), 91504 * 1024);
  writeFileSync(f, 'MemTotal: 1 kB\n');
  assert.throws(() => readMemAvailable(f), /no MemAvailable/);
  const table: [number, string][] = [
    [0, '0'],
    [1000, '1000'],
    [1024, '1Ki'],
    [91504 * 1024, '91504Ki'],
    [100 * Mi, '100Mi'],
    [2 * 1024 * Mi, '2Gi'],
    [1453428 * 1024, '1453428Ki'],
  ];
  for (const [n, s] of table) assert.equal(formatBytes(n), s);
});

test("the kubelet's eviction message names the containers over their request", () => {
  const t = parseEvictionHard('memory.available<100Mi')!;
  assert.equal(
    evictionMessage(t, 91504 * 1024, [
      { name: 'app', usage: 1453428 * 1024, request: 0 },
      { name: 'side', usage: 1 * Mi, request: 4 * Mi },
    ]),
    'The node was low on resource: memory. Threshold quantity: 100Mi, available: 91504Ki. ' +
      'Container app was using 1453428Ki, request is 0, has larger consumption of memory. ',
  );
});

const cand = (key: string, qos: Candidate['qos'], usage: number, request: number): Candidate => ({
  pod: { key } as EvictablePod,
  qos,
  usage,
  request,
  ctrs: [],
});

test('ranking: BestEffort first, then Burstable over request by usage above it; the rest stays', () => {
  const ranked = rankForEviction([
    cand('g', 'Guaranteed', 500 * Mi, 100 * Mi),
    cand('b-small-over', 'Burstable', 30 * Mi, 20 * Mi),
    cand('b-under', 'Burstable', 10 * Mi, 64 * Mi),
    cand('be-small', 'BestEffort', 1 * Mi, 0),
    cand('b-big-over', 'Burstable', 300 * Mi, 64 * Mi),
    cand('be-big', 'BestEffort', 50 * Mi, 0),
  ]);
  assert.deepEqual(
    ranked.map((c) => c.pod.key),
    ['be-big', 'be-small', 'b-big-over', 'b-small-over'],
  );
});

test('one eviction per pass, only under the threshold (absolute or % of capacity)', async () => {
  let available = 200 * Mi;
  const evicted = new Map<string, string>();
  const pod = (key: string, usage: number): EvictablePod => ({
    key,
    qos: () => 'BestEffort',
    memoryUsage: async () => (evicted.has(key) ? undefined : [{ name: 'c', usage, request: 0 }]),
    evict: async (m) => void evicted.set(key, m),
  });
  const pods = [pod('a', Mi), pod('b', 2 * Mi)];
  const m = new EvictionManager(
    {
      threshold: parseEvictionHard('memory.available<10%')!,
      memoryCapacity: 1000 * Mi,
      available: () => available,
    },
    () => pods,
  );
  assert.equal(m.limitBytes, 100 * Mi);
  assert.equal(await m.synchronize(), undefined);
  available = 99 * Mi;
  assert.equal(await m.synchronize(), 'b', 'the bigger one first');
  assert.match(
    evicted.get('b')!,
    /Threshold quantity: 10%, available: 99Mi\. Container c was using 2Mi, request is 0,/,
  );
  assert.equal(await m.synchronize(), 'a');
  assert.equal(await m.synchronize(), undefined, 'nothing left to evict');
});
