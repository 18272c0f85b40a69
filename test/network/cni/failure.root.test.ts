// Failures with real plugins: a later plugin of the chain failing its ADD leaves no address
// allocated, and a runtime killed mid-ADD (after host-local allocated, while a later plugin runs)
// is cleaned up by the next runtime's gc().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CniError } from '../../../src/network/cni/index.js';
import { inNs, NetLab, skip, waitFor } from './support.js';

test(
  'a failing later plugin: CniError with its code and msg, no address left allocated',
  { skip, timeout: 60_000 },
  async (t) => {
    const lab = new NetLab(t, 'fl');
    lab.plugin(
      'refuse',
      `cat >/dev/null
case "$CNI_COMMAND" in
ADD) echo '{"code": 117, "msg": "refused by the test", "details": "try again never"}'; exit 1 ;;
*) exit 0 ;;
esac`,
    );
    const rt = lab.runtime();
    const net = lab.network('10.211.5.0/24', { append: [{ type: 'refuse' }] });
    const pod = lab.netns('pod');
    await assert.rejects(rt.add(net, { containerId: 'doomed', netns: `/run/netns/${pod}` }), (e: unknown) => {
      assert.ok(e instanceof CniError);
      assert.equal(e.plugin, 'refuse');
      assert.equal(e.code, 117);
      assert.equal(e.msg, 'refused by the test');
      assert.equal(e.details, 'try again never');
      assert.equal(
        e.message,
        'CNI plugin refuse failed ADD (code 117): refused by the test: try again never',
      );
      return true;
    });
    assert.deepEqual(lab.leases(net.name), [], 'host-local released the address');
    assert.doesNotMatch(inNs(pod, ['ip', '-o', 'link']).out, /eth0/, 'the pod interface is gone');
    assert.deepEqual(
      lab.hostLinks().filter((l) => l.startsWith('veth')),
      [],
    );
    assert.deepEqual(await rt.cachedAttachments(net), []);
  },
);

test(
  'killed mid-ADD: the intent record lets the next runtime gc() release the address and veth',
  { skip, timeout: 60_000 },
  async (t) => {
    const lab = new NetLab(t, 'cr');
    const marker = join(lab.dir, 'sleeper.pid');
    // Hangs in ADD after telling the test its pid (exec: the pid is sleep's, so the test can end it).
    lab.plugin(
      'sleeper',
      `cat >/dev/null
[ "$CNI_COMMAND" = ADD ] || exit 0
echo $$ > ${marker}
exec sleep 60`,
    );
    const net = lab.network('10.211.6.0/24', { append: [{ type: 'sleeper' }] });
    mkdirSync(lab.confDir);
    writeFileSync(join(lab.confDir, '10-lab.conflist'), JSON.stringify(net));
    const pod = lab.netns('pod');
    const child = spawn(
      process.execPath,
      [
        join(dirname(fileURLToPath(import.meta.url)), 'crash-child.js'),
        JSON.stringify({
          confDir: lab.confDir,
          cacheDir: lab.cacheDir,
          binDirs: [lab.bin, '/usr/lib/cni'],
          hostNetns: lab.hostPath,
          network: net.name,
          netns: `/run/netns/${pod}`,
          containerId: 'crashy',
        }),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let sleeper = 0;
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (sleeper) {
        try {
          process.kill(sleeper, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    sleeper = await waitFor(
      'the sleeper plugin to start',
      () => {
        assert.equal(child.exitCode, null, `the child ended early: ${output}`);
        return existsSync(marker) && Number(readFileSync(marker, 'utf8').trim());
      },
      20_000,
    );
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    process.kill(sleeper, 'SIGKILL');

    // The crash left an address allocated and a veth on the bridge: exactly what gc must undo.
    const [leaked] = lab.leases(net.name);
    assert.match(leaked ?? '', /^10\.211\.6\.\d+$/);
    assert.equal(lab.hostLinks().filter((l) => l.startsWith('veth')).length, 1);

    const rt = lab.runtime();
    const loaded = await rt.loadNetwork(net.name);
    assert.deepEqual(
      (await rt.cachedAttachments(loaded)).map((a) => [a.containerId, a.state]),
      [['crashy', 'adding']],
    );
    const res = await rt.gc(loaded, []);
    assert.deepEqual(res.deleted, ['crashy/eth0']);
    assert.deepEqual(res.failed, []);
    assert.deepEqual(lab.leases(net.name), [], 'the leaked address is released');
    assert.deepEqual(
      lab.hostLinks().filter((l) => l.startsWith('veth')),
      [],
      'the veth is gone',
    );
    assert.deepEqual(await rt.cachedAttachments(loaded), []);
  },
);
