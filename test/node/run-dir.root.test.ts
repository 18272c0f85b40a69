// The agent's runtime state on a tmpfs of its own (src/node/run-dir.ts): pod records, OCI state,
// bundles (with the rootfs mount points) and a pod's /etc files there, volumes and logs on the data
// dir's disk; the tmpfs is gone when the agent stops with its pods, and a pod removed earlier takes
// its part of both along. A record on disk (an earlier version's) is read and moved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
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
  'records and runtime state on the agent tmpfs, logs on disk; unmounted when the pods are gone',
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
    // The record is on the tmpfs, with the container's rootfs mount point (in its bundle)...
    assert.ok(existsSync(join(run, 'pods', uid, 'pod.json')));
    assert.equal(existsSync(join(n.dataDir, 'pods', uid, 'pod.json')), false);
    const bundles = readdirSync(join(run, 'pods', uid, 'bundles'));
    assert.ok(bundles.some((b) => existsSync(join(run, 'pods', uid, 'bundles', b, 'rootfs'))));
    for (const b of bundles) assert.equal(existsSync(join(n.dataDir, 'containers', b, 'rootfs')), false);
    // The disk directories that come and go per pod are spread over ext4's groups (topdir.ts).
    if (statfsSync(n.dataDir).type === 0xef53)
      for (const d of ['pods', 'containers'])
        assert.match(
          spawnSync('lsattr', ['-d', join(n.dataDir, d)], { encoding: 'utf8' }).stdout,
          /^\S*T/,
          `${d} is a top directory`,
        );
    // ...what outlives a reboot on disk: the logs (which the container wrote).
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

test(
  'without its record (a reboot) a wanted pod keeps its disk directory; an earlier record is moved',
  { skip: !isRoot && 'needs root' },
  async (t) => {
    const n = nodeInstance(t);
    const kept = '11111111-2222-3333-4444-555555555555';
    const moved = '66666666-7777-8888-9999-000000000000';
    const gone = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
    const manifest = (name: string, uid: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, uid: ${uid}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: busybox, command: [sleep, '3600']}
`;
    // What a reboot leaves: disk directories, no tmpfs; one pod's record where an earlier version
    // kept it (on disk, naming no sandbox), the directory of a pod nobody wants any more.
    mkdirSync(join(n.dataDir, 'pods', kept, 'volumes'), { recursive: true });
    writeFileSync(join(n.dataDir, 'pods', kept, 'volumes', 'data'), 'survives');
    mkdirSync(join(n.dataDir, 'pods', gone), { recursive: true });
    mkdirSync(join(n.dataDir, 'pods', moved), { recursive: true });
    n.write('kept.yaml', manifest('kept', kept));
    n.write('moved.yaml', manifest('moved', moved));
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'moved', namespace: 'default', uid: moved },
      spec: {
        terminationGracePeriodSeconds: 0,
        containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }],
      },
    };
    const c = { name: 'c', restartCount: 4, backoffMs: 0 };
    writeFileSync(
      join(n.dataDir, 'pods', moved, 'pod.json'),
      JSON.stringify({
        uid: moved,
        key: 'default/moved',
        pod,
        createdAt: new Date().toISOString(),
        containers: { c },
      }),
    );
    await n.agent.start();
    const running = (name: string) =>
      n.agent.pods().find((p) => p.name === name)?.status.containerStatuses[0];
    await waitFor('both running', () => running('kept')?.state.running && running('moved')?.state.running);
    assert.equal(readFileSync(join(n.dataDir, 'pods', kept, 'volumes', 'data'), 'utf8'), 'survives');
    assert.equal(existsSync(join(n.dataDir, 'pods', gone)), false);
    // The earlier record was adopted (its restart count kept) and now lives on the tmpfs.
    assert.equal(running('moved')?.restartCount, 4);
    assert.ok(existsSync(join(n.dataDir, 'run', 'pods', moved, 'pod.json')));
    assert.equal(existsSync(join(n.dataDir, 'pods', moved, 'pod.json')), false);
  },
);
