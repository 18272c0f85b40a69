import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatIp,
  mergeRanges,
  parseCidr,
  parseIp,
  rangeElement,
  subtractRanges,
  type Range,
} from '../../../src/network/policy/ip.js';

test('parses and formats IPv4 and IPv6 addresses', () => {
  assert.deepEqual(parseIp('10.0.0.1'), { family: 4, value: 0x0a000001n });
  assert.equal(parseIp('10.0.0.256'), undefined);
  assert.equal(parseIp('10.0.0.01'), undefined);
  assert.equal(parseIp('10.0.0'), undefined);
  assert.equal(formatIp(6, parseIp('fd00:0:0:0:0:0:0:1')!.value), 'fd00::1');
  assert.equal(formatIp(6, parseIp('::')!.value), '::');
  assert.equal(formatIp(6, parseIp('::ffff:1.2.3.4')!.value), '::ffff:102:304');
  assert.equal(formatIp(6, parseIp('1:0:0:2:0:0:0:3')!.value), '1:0:0:2::3');
  assert.equal(formatIp(6, parseIp('2001:DB8::')!.value), '2001:db8::');
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'g::1', 'fe80::1%eth0', '12345::'])
    assert.equal(parseIp(bad), undefined, bad);
});

test('CIDRs mask host bits; bad ones are refused', () => {
  const c = parseCidr('10.1.2.3/16')!;
  assert.equal(formatIp(4, c.first), '10.1.0.0');
  assert.equal(formatIp(4, c.last), '10.1.255.255');
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(parseCidr('10.0.0.0'), undefined);
  assert.equal(parseCidr('fd00::/129'), undefined);
  assert.equal(parseCidr('fd00::/8')!.prefix, 8);
});

test('range arithmetic: merge, subtract, and nft elements', () => {
  const r = (a: number, b: number): Range => [BigInt(a), BigInt(b)];
  assert.deepEqual(mergeRanges([r(5, 9), r(1, 3), r(4, 4), r(20, 30), r(25, 26)]), [r(1, 9), r(20, 30)]);
  assert.deepEqual(subtractRanges([r(0, 255)], [r(16, 31), r(250, 300)]), [r(0, 15), r(32, 249)]);
  assert.deepEqual(subtractRanges([r(0, 10)], [r(0, 10)]), []);
  const c = parseCidr('10.0.0.0/24')!;
  assert.equal(rangeElement(4, [c.first, c.last]), '10.0.0.0/24');
  assert.equal(rangeElement(4, [c.first, c.first + 2n]), '10.0.0.0-10.0.0.2');
  assert.equal(rangeElement(4, [c.first + 7n, c.first + 7n]), '10.0.0.7');
  const six = parseCidr('fd00::/64')!;
  assert.equal(rangeElement(6, [six.first, six.last]), 'fd00::/64');
});
