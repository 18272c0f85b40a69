// Pod sandboxes on the real kernel: containers of one pod share the pause process's network, IPC
// and UTS namespaces (they talk over localhost) and one /dev/shm, each has its own mount and PID
// namespace, and another pod sees none of it. The kubelet's cgroup tree holds them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, logText, nodeInstance, nsOf, pod, waitFor } from './support.js';

const skip = !isRoot && 'needs root';

const TWO = `apiVersion: v1
kind: Pod
metadata: {name: duo}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: server
    image: busybox
    command: [sh, -c, 'echo shared-memory > /dev/shm/from-server; mkdir -p /tmp/w && echo hello-from-server > /tmp/w/index.html && exec httpd -f -p 8080 -h /tmp/w']
  - name: client
    image: busybox
    command: [sh, -c, 'until wget -q -O - http://127.0.0.1:8080/; do sleep 0.2; done; hostname; cat /dev/shm/from-server; exec sleep 3600']
---
apiVersion: v1
kind: Pod
metadata: {name: other}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: looker
    image: busybox
    command: [sh, -c, 'ps -o comm | sort -u | tr "\\n" " "; echo; ls /dev/shm | sed s/^/shm:/; echo looked; exec sleep 3600']
`;

test(
  'two containers of a pod share net/ipc/uts via the pause process; pods are apart',
  { skip },
  async (t) => {
    const n = nodeInstance(t);
    n.write('pods.yaml', TWO);
    await n.agent.start();
    const duo = await waitFor('duo running', () => {
      const p = pod(n.agent, 'duo');
      return p?.status.containerStatuses.every((c) => c.state.running) && p;
    });
    const uid = duo.uid;
    // The page over localhost, then what the server left in /dev/shm: one IPC namespace and
    // one /dev/shm for the pod.
    await waitFor('client got the page', () =>
      /^hello-from-server\nduo\nshared-memory$/m.test(logText(n.dataDir, uid, 'client')),
    );
    assert.match(logText(n.dataDir, uid, 'client'), /^hello-from-server\nduo\nshared-memory$/m);
    const w = n.agent.worker('duo')!;
    const pause = w.sandboxPid!;
    const server = w.running('server')!.pid;
    const client = w.running('client')!.pid;
    for (const kind of ['net', 'ipc', 'uts']) {
      assert.equal(nsOf(server, kind), nsOf(pause, kind), kind);
      assert.equal(nsOf(client, kind), nsOf(pause, kind), kind);
      assert.notEqual(nsOf(client, kind), nsOf(process.pid, kind), kind);
    }
    assert.notEqual(nsOf(server, 'mnt'), nsOf(client, 'mnt'));
    assert.notEqual(nsOf(server, 'pid'), nsOf(client, 'pid'));
    // The pause is the helper's own process (no exec), in a mount namespace with only its
    // read-only root: no /proc, /dev or /sys of its own.
    assert.equal(readFileSync(`/proc/${pause}/comm`, 'utf8').trim(), 'pause');
    const pauseMounts = readFileSync(`/proc/${pause}/mountinfo`, 'utf8').trim().split('\n');
    assert.deepEqual(
      pauseMounts.map((l) => l.split(' ')[4]),
      ['/'],
    );
    assert.match(pauseMounts[0]!.split(' ')[5]!, /^ro\b/);

    // The other pod: its own namespaces, and its ps sees only its own processes.
    const other = await waitFor(
      'other running',
      () => pod(n.agent, 'other')?.status.phase === 'Running' && pod(n.agent, 'other'),
    );
    await waitFor('ps and ls output', () => logText(n.dataDir, other.uid, 'looker').includes('looked'));
    const seen = logText(n.dataDir, other.uid, 'looker');
    assert.match(seen, /\bps\b/);
    assert.doesNotMatch(seen, /httpd|wget/, seen);
    assert.doesNotMatch(seen, /shm:/, `another pod's /dev/shm is its own: ${seen}`);
    const looker = n.agent.worker('other')!.running('looker')!.pid;
    assert.notEqual(nsOf(looker, 'net'), nsOf(pause, 'net'));

    // cgroup tree: BestEffort pods below kubepods/besteffort/pod<uid>/<container>.
    const mgr = n.agent.ctx.driver.manager(`kubepods/besteffort/pod${uid}`);
    const dir = Object.values(mgr.dirs())[0]!;
    assert.ok(existsSync(dir), dir);
    const ctrCg = join(dir, w.running('server')!.id);
    assert.ok(existsSync(ctrCg), ctrCg);

    // CRI log format.
    const raw = readFileSync(join(n.dataDir, 'pods', uid, 'client', '0.log'), 'utf8');
    assert.match(raw, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F hello-from-server$/m);
    // wget's retries before httpd listened went to stderr, tagged as such.
    for (const l of raw.split('\n').filter((x) => x.includes('wget:')))
      assert.match(l, /^\S+Z stderr F wget: /);
  },
);
