// The agent's runtime state on a tmpfs of its own (src/node/run-dir.ts): OCI state, bundles and a
// pod's /etc files there, pod records, volumes and logs on the data dir's disk; the tmpfs is gone
// when the agent stops with its pods, and a pod removed earlier takes its part of both along.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeRunDir, openRunDir } from '../../src/node/run-dir.js';
import { isRoot, nodeInstance, pod, waitFor } from './support.js';
import { spawnSync } from 'node:child_process';

const TMPFS_MAGIC = 0x01021994;
const isTmpfs = (p: string) => statfsSync(p).type === TMPFS_MAGIC;
const mounted = (p: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === p);

test(
  'runtime state on the agent tmpfs, records on disk; unmounted when the pods are gone',
  { skip: !isRoot && 'needs root' },
  async (t) => {
    const n = nodeInstance(t);
    const spec = (name: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: busybox, command: [sh, -c, 'echo up; cat /etc/hostname; sleep 3600']}
`;
    n.write('a.yaml', spec('a'));
    n.write('b.yaml', spec('b'));
    await n.agent.start();
    const run = join(n.dataDir, 'run');
    const uid = (
      await waitFor(
        'pod a running',
        () => pod(n.agent, 'a')?.status.containerStatuses[0]?.state.running && pod(n.agent, 'a'),
      )
    ).uid;
    await waitFor('pod b running', () => pod(n.agent, 'b')?.status.containerStatuses[0]?.state.running);
    assert.ok(mounted(run) && isTmpfs(run), `${run} is a tmpfs mount`);
    assert.equal(isTmpfs(n.dataDir), false, 'the data dir itself is on disk here');
    // State of this boot on the tmpfs: OCI state of the pause and container, the pod's /etc files.
    const ids = readdirSync(join(run, 'node-runtime')).filter((e) => !e.startsWith('.'));
    assert.ok(ids.some((i) => i.endsWith('.pause')) && ids.some((i) => i.endsWith('.c.0')), ids.join(' '));
    assert.equal(readFileSync(join(run, 'pods', uid, 'etc-hostname'), 'utf8').trim(), 'a');
    assert.ok(readdirSync(join(run, 'pods', uid, 'bundles')).length >= 1);
    // What outlives a reboot on disk: the record and the logs (which the container wrote).
    assert.ok(existsSync(join(n.dataDir, 'pods', uid, 'pod.json')));
    await waitFor('log written', () =>
      readFileSync(join(n.dataDir, 'pods', uid, 'c', '0.log'), 'utf8').includes(' up'),
    );
    // Removing a pod removes both of its directories.
    n.remove('a.yaml');
    await waitFor('pod a gone', () => !pod(n.agent, 'a'));
    await n.agent.settled();
    assert.equal(existsSync(join(run, 'pods', uid)), false);
    assert.equal(existsSync(join(n.dataDir, 'pods', uid)), false);
    assert.ok(mounted(run), 'still mounted for pod b');
    // Stopping the agent with its pods leaves no mount behind.
    await n.agent.shutdown({ stopPods: true });
    assert.equal(mounted(run), false);
    assert.equal(existsSync(run), false);
  },
);

test(
  'an earlier layout with running containers is kept until they are gone',
  { skip: !isRoot && 'needs root' },
  async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'corral-rundir-'));
    t.after(() => {
      if (mounted(join(dataDir, 'run'))) spawnSync('umount', ['-l', join(dataDir, 'run')]);
      rmSync(dataDir, { recursive: true, force: true });
    });
    const logs: string[] = [];
    // What an earlier agent left: a container's state directly in the data dir.
    mkdirSync(join(dataDir, 'node-runtime', 'abc.c.0'), { recursive: true });
    const legacy = openRunDir(dataDir, (m) => logs.push(m));
    assert.deepEqual(legacy, { path: dataDir, mounted: false });
    assert.match(logs.join('\n'), /an earlier version's layout/);
    assert.equal(existsSync(join(dataDir, 'run')), false, 'no tmpfs while the old state is in use');
    // Its containers gone, the agent stopping with its pods ends that layout...
    const mounter = { mount: async () => assert.fail('nothing to unmount') };
    rmSync(join(dataDir, 'node-runtime', 'abc.c.0'), { recursive: true });
    await closeRunDir(legacy, mounter, dataDir);
    assert.equal(existsSync(join(dataDir, 'node-runtime')), false);
    // ...and the next one has its run/ tmpfs.
    const fresh = openRunDir(dataDir, (m) => logs.push(m));
    assert.deepEqual(fresh, { path: join(dataDir, 'run'), mounted: true });
    assert.ok(isTmpfs(fresh.path));
    await closeRunDir(fresh, { mount: async () => void spawnSync('umount', ['-l', fresh.path]) }, dataDir);
    assert.equal(mounted(fresh.path), false);
  },
);
