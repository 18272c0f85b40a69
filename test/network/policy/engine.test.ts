// The engine's scheduling and error handling against a fake nft: coalescing, skipping unchanged
// scripts, keeping the previous ruleset on failure, the sysctl precondition, stop().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyEngine } from '../../../src/network/policy/engine.js';
import { PolicyError } from '../../../src/network/policy/errors.js';
import type { NftRunner } from '../../../src/network/policy/nft.js';
import type { PolicyState } from '../../../src/network/policy/types.js';

class FakeNft implements NftRunner {
  scripts: string[] = [];
  sysctls: Record<string, string | undefined> = {
    'net/bridge/bridge-nf-call-iptables': '1',
    'net/bridge/bridge-nf-call-ip6tables': '1',
  };
  failWith: string | undefined;
  async apply(script: string): Promise<void> {
    await new Promise((r) => setTimeout(r, 5));
    if (this.failWith) throw new PolicyError(`nft -f failed: ${this.failWith}`);
    this.scripts.push(script);
  }
  async sysctl(path: string): Promise<string | undefined> {
    return this.sysctls[path];
  }
}

const st = (n: number): PolicyState => ({
  pods: [{ namespace: 'a', name: 'p', labels: { app: 'x' }, ips: [`10.0.0.${n}`], ports: [] }],
  namespaces: [],
  policies: [{ metadata: { name: 'deny', namespace: 'a' }, spec: { podSelector: {} } }],
});

test('bursts of updates coalesce into one apply of the newest state', async () => {
  const nft = new FakeNft();
  const e = new PolicyEngine({ nft, table: 't', debounceMs: 30 });
  for (let i = 2; i < 12; i++) e.update(st(i));
  await e.flush();
  assert.equal(nft.scripts.length, 1);
  assert.match(nft.scripts[0]!, /10\.0\.0\.11 : jump ingress-g0/);
  assert.equal(e.stats.applies, 1);
  assert.ok(e.stats.rules > 0);
  // The same state again compiles to the same script: nothing to do.
  e.update(st(11));
  await e.flush();
  assert.equal(nft.scripts.length, 1);
  e.update(st(12));
  await e.flush();
  assert.equal(nft.scripts.length, 2);
});

test('an update applies by itself within the debounce time', async () => {
  const nft = new FakeNft();
  const e = new PolicyEngine({ nft, debounceMs: 10 });
  e.update(st(2));
  const t0 = Date.now();
  while (nft.scripts.length === 0 && Date.now() - t0 < 1000) await new Promise((r) => setTimeout(r, 5));
  assert.equal(nft.scripts.length, 1);
  assert.ok(Date.now() - t0 < 100);
});

test('updates during an apply are applied after it', async () => {
  const nft = new FakeNft();
  const e = new PolicyEngine({ nft, debounceMs: 0 });
  e.update(st(2));
  await new Promise((r) => setTimeout(r, 2)); // the first apply is in flight
  e.update(st(3));
  e.update(st(4));
  await e.flush();
  assert.match(nft.scripts.at(-1)!, /10\.0\.0\.4 :/);
  assert.ok(nft.scripts.length <= 2);
});

test('a failed apply is logged with nft’s message, flush rejects, the next good state applies', async () => {
  const nft = new FakeNft();
  const logs: string[] = [];
  const e = new PolicyEngine({ nft, log: (m) => logs.push(m) });
  e.update(st(2));
  await e.flush();
  nft.failWith = 'Error: syntax error, unexpected junk';
  e.update(st(3));
  await assert.rejects(e.flush(), /syntax error, unexpected junk/);
  assert.match(
    logs.join('\n'),
    /nft -f failed: Error: syntax error, unexpected junk; keeping the previous ruleset/,
  );
  assert.equal(e.stats.failures, 1);
  assert.equal(e.stats.applies, 1);
  nft.failWith = undefined;
  e.update(st(3));
  await e.flush();
  assert.equal(e.stats.applies, 2);
});

test('bridge-nf-call-iptables 0 or missing stops the engine with the fix', async () => {
  const nft = new FakeNft();
  nft.sysctls['net/bridge/bridge-nf-call-iptables'] = '0';
  const e = new PolicyEngine({ nft, netns: '/run/netns/n1' });
  await assert.rejects(e.start(), /sysctl -w net\.bridge\.bridge-nf-call-iptables=1/);
  e.update(st(2));
  await assert.rejects(e.flush(), /is 0 in network namespace \/run\/netns\/n1/);
  assert.equal(nft.scripts.length, 0);
  nft.sysctls = {};
  await assert.rejects(new PolicyEngine({ nft }).start(), /modprobe br_netfilter/);
  const logs: string[] = [];
  nft.sysctls = { 'net/bridge/bridge-nf-call-iptables': '1' };
  await new PolicyEngine({ nft, log: (m) => logs.push(m) }).start();
  assert.match(logs.join('\n'), /IPv6 traffic between pods on a bridge is not filtered/);
});

test('stop() deletes the table and refuses further updates', async () => {
  const nft = new FakeNft();
  const e = new PolicyEngine({ nft, table: 'mine' });
  e.update(st(2));
  await e.stop();
  assert.equal(nft.scripts.at(-1), 'table inet mine {}\ndelete table inet mine\n');
  assert.throws(() => e.update(st(3)), /stopped/);
});
