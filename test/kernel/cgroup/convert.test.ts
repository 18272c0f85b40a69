// The unit conversions, pinned by tables (kubelet helpers_linux.go; the 2025 quadratic weight map).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  milliCPUToQuota,
  milliCPUToShares,
  sharesToWeight,
  sharesToWeightLinear,
  swapToV2,
  weightToSharesLinear,
} from '../../../src/kernel/cgroup/index.js';
import { blkioWeightToIoWeight } from '../../../src/kernel/cgroup/v2/io.js';

test('shares → cpu.weight, quadratic map (runc/crun/kubernetes 2025)', () => {
  const table: [number, number][] = [
    [0, 0],
    [1, 1],
    [2, 1],
    [3, 2],
    [10, 4],
    [100, 17],
    [512, 59],
    [1024, 100],
    [2048, 174],
    [4096, 303],
    [102400, 4429],
    [262143, 10000],
    [262144, 10000],
    [500000, 10000],
  ];
  for (const [shares, weight] of table) assert.equal(sharesToWeight(shares), weight, `shares ${shares}`);
});

test('shares → cpu.weight, the old linear map (1 CPU → 39) and its inverse', () => {
  const table: [number, number][] = [
    [2, 1],
    [1024, 39],
    [2048, 79],
    [262144, 10000],
  ];
  for (const [shares, weight] of table)
    assert.equal(sharesToWeightLinear(shares), weight, `shares ${shares}`);
  assert.equal(weightToSharesLinear(1), 2);
  assert.equal(weightToSharesLinear(10000), 262144);
  assert.equal(weightToSharesLinear(100), 2597);
});

test('kubelet milliCPUToShares (min 2, max 262144)', () => {
  const table: [number, number][] = [
    [0, 2],
    [1, 2],
    [2, 2],
    [10, 10],
    [100, 102],
    [250, 256],
    [1000, 1024],
    [1500, 1536],
    [256000, 262144],
    [1000000, 262144],
  ];
  for (const [m, s] of table) assert.equal(milliCPUToShares(m), s, `${m}m`);
});

test('kubelet milliCPUToQuota (period 100000 µs, min quota 1000 µs)', () => {
  const table: [number, number][] = [
    [0, 0],
    [1, 1000],
    [5, 1000],
    [10, 1000],
    [20, 2000],
    [200, 20000],
    [1000, 100000],
    [2500, 250000],
  ];
  for (const [m, q] of table) assert.equal(milliCPUToQuota(m), q, `${m}m`);
  assert.equal(milliCPUToQuota(500, 50000), 25000);
});

test('1 CPU: 1024 shares → weight 100 with the new map, 39 with the old', () => {
  assert.equal(sharesToWeight(milliCPUToShares(1000)), 100);
  assert.equal(sharesToWeightLinear(milliCPUToShares(1000)), 39);
});

test('OCI memory+swap → memory.swap.max', () => {
  assert.equal(swapToV2(undefined, 100), undefined);
  assert.equal(swapToV2(0, 100), undefined);
  assert.equal(swapToV2(-1, 100), 'max');
  assert.equal(swapToV2(300, 100), '200');
  assert.equal(swapToV2(100, 100), '0');
  assert.throws(() => swapToV2(50, 100), /below the memory limit/);
  assert.throws(() => swapToV2(50, undefined), /needs a memory limit/);
});

test('blkio weight → io.weight', () => {
  assert.equal(blkioWeightToIoWeight(10), 1);
  assert.equal(blkioWeightToIoWeight(1000), 10000);
  assert.equal(blkioWeightToIoWeight(500), 4950);
});
