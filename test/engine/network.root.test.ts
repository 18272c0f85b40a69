// `corral run --network bridge -p`: the container gets eth0 on Corral's CNI bridge network (the
// same path pods take), its address in /etc/hosts, a published port reachable from the host, and
// the address is released when it is removed. The "host" is a network namespace the test creates.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine.js';
import { instance, isRoot } from '../cli/support.js';
import { waitFor } from '../node/support.js';

const skip = (!isRoot || !existsSync('/usr/lib/cni/bridge')) && 'needs root and the CNI plugins';

test(
  '--network bridge and -p: an address, /etc/hosts, a published port, released on rm',
  { skip },
  async (t) => {
    const ns = `cne-${process.pid}`;
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'add', ns]);
    t.after(() => void spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }));
    const hostNetns = `/run/netns/${ns}`;
    const c = instance(t);
    const network = { hostNetns, podCIDR: '10.214.9.0/24', bridge: `cne${process.pid % 100000}` };
    const engine = new Engine({ dataDir: c.dataDir, cgroupRoot: c.cgroupRoot, network });
    const leases = join(c.dataDir, 'cni', 'networks', 'corral');

    const r = await engine.runDetached({
      image: 'busybox',
      cmd: ['nc', '-ll', '-p', '80', '-e', 'sh', '-c', 'ip -4 -o addr show eth0; cat /etc/hosts'],
      name: 'web',
      network: 'bridge',
      publish: ['8080:80'],
    });
    const rec = engine.store.load(r.id);
    const ip = rec.ips?.[0];
    assert.match(ip ?? '', /^10\.214\.9\.\d+$/);
    assert.ok(readdirSync(leases).includes(ip!));
    // Through the published port on the bridge's gateway address, from the "host".
    const reply = await waitFor('published port answers', () => {
      const x = spawnSync(
        'nsenter',
        [`--net=${hostNetns}`, 'busybox', 'nc', '-w', '1', '10.214.9.1', '8080'],
        {
          input: '',
          encoding: 'utf8',
          timeout: 5000,
        },
      );
      return x.stdout.includes('eth0') ? x.stdout : undefined;
    });
    assert.match(reply, new RegExp(`inet ${ip!.replace(/\./g, '\\.')}/24`));
    assert.match(reply, new RegExp(`${ip!.replace(/\./g, '\\.')}\\t${rec.hostname}`));
    await engine.remove('web', true);
    assert.ok(!readdirSync(leases).includes(ip!), 'address released');
    assert.deepEqual(c.leftovers(), []);
  },
);
