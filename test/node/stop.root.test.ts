// Stopping on the real kernel: postStart runs before the container is left alone, preStop before
// SIGTERM, SIGTERM then the grace period then SIGKILL (PID 1 of a PID namespace ignores SIGTERM
// without a handler); a changed manifest replaces the pod, a removed one removes it with its
// processes, directory and cgroups; hostNetwork/hostPID/hostIPC share the host's namespaces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { processAlive } from '../../src/oci/proc.js';
import { isRoot, logText, nodeInstance, nsOf, pod, waitFor, type NodeInstance } from './support.js';

const skip = !isRoot && 'needs root';

/** A host directory for the pod to leave traces in that outlive it (removed with the instance). */
function recDir(n: NodeInstance): string {
  const d = join(dirname(n.dataDir), 'rec');
  mkdirSync(d, { recursive: true });
  return d;
}

const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');

async function podGone(n: NodeInstance, uid: string, cgroup: string): Promise<void> {
  await waitFor('pod directory removed', () => !existsSync(join(n.dataDir, 'pods', uid)));
  const dirs = Object.values(n.agent.ctx.driver.manager(cgroup).dirs());
  assert.ok(dirs.length > 0);
  for (const d of dirs) assert.equal(existsSync(d), false, `cgroup ${d} removed`);
  const left = (await n.agent.ctx.runtime.list()).filter((e) =>
    e.id.startsWith(uid.replace(/-/g, '').slice(0, 12)),
  );
  assert.deepEqual(left, [], 'no runtime container of the pod is left');
}

test('postStart, preStop, SIGTERM, grace period, SIGKILL when the pod is removed', { skip }, async (t) => {
  const n = nodeInstance(t);
  const rec = recDir(n);
  n.write(
    'graceful.yaml',
    `apiVersion: v1
kind: Pod
metadata: {name: graceful}
spec:
  terminationGracePeriodSeconds: 2
  volumes: [{name: rec, hostPath: {path: ${rec}, type: Directory}}]
  containers:
  - name: polite
    image: busybox
    command: [sh, -c, 'trap "echo term >> /rec/polite; exit 0" TERM; until [ -f /tmp/ps ]; do sleep 0.05; done; echo saw-poststart >> /rec/polite; while :; do sleep 0.1; done']
    volumeMounts: [{name: rec, mountPath: /rec}]
    lifecycle:
      postStart: {exec: {command: [sh, -c, 'echo poststart >> /rec/polite; touch /tmp/ps']}}
      preStop: {exec: {command: [sh, -c, 'echo prestop >> /rec/polite']}}
  - {name: stubborn, image: busybox, command: [sleep, '3600']}
`,
  );
  await n.agent.start();
  await waitFor('postStart seen', () => read(join(rec, 'polite')).includes('saw-poststart'));
  const w = n.agent.worker('graceful')!;
  const { uid } = w;
  const cgroup = w.podCgroup;
  const polite = w.running('polite')!.pid;
  const stubborn = w.running('stubborn')!.pid;
  const t0 = Date.now();
  n.remove('graceful.yaml');
  await waitFor('polite exited', () => !processAlive(polite));
  const politeMs = Date.now() - t0;
  assert.ok(processAlive(stubborn), 'the process ignoring SIGTERM lives on within the grace period');
  await waitFor('stubborn killed', () => !processAlive(stubborn));
  const stubbornMs = Date.now() - t0;
  assert.equal(read(join(rec, 'polite')), 'poststart\nsaw-poststart\nprestop\nterm\n');
  assert.ok(politeMs < 1800, `polite stopped after ${politeMs} ms`);
  assert.ok(stubbornMs >= 1900 && stubbornMs < 6000, `stubborn killed after ${stubbornMs} ms`);
  await n.agent.settled();
  assert.equal(pod(n.agent, 'graceful'), undefined);
  await podGone(n, uid, cgroup);
});

test(
  'a liveness kill: exit 0 with a TERM handler, 137 after the grace period without',
  { skip },
  async (t) => {
    const n = nodeInstance(t);
    n.write(
      'kill.yaml',
      `apiVersion: v1
kind: Pod
metadata: {name: killed}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: polite
    image: busybox
    command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 0.1; done']
    livenessProbe: {exec: {command: ['false']}, periodSeconds: 1, failureThreshold: 1}
  - name: stubborn
    image: busybox
    command: [sleep, '3600']
    livenessProbe: {exec: {command: ['false']}, periodSeconds: 1, failureThreshold: 1}
  - name: hookfail
    image: busybox
    command: [sleep, '3600']
    lifecycle: {postStart: {exec: {command: ['false']}}}
`,
    );
    await n.agent.start();
    const st = await waitFor('all terminated', () => {
      const s = pod(n.agent, 'killed')?.status;
      return s?.containerStatuses.every((c) => c.state.terminated) && s;
    });
    const [polite, stubborn, hookfail] = st.containerStatuses.map((c) => c.state.terminated!);
    assert.deepEqual([polite!.exitCode, polite!.reason], [0, 'Completed']);
    assert.deepEqual([stubborn!.exitCode, stubborn!.reason, stubborn!.signal], [137, 'Error', 9]);
    const ran = Date.parse(stubborn!.finishedAt) - Date.parse(stubborn!.startedAt!);
    assert.ok(ran >= 1000, `SIGKILL only after the grace period (ran ${ran} ms)`);
    assert.equal(hookfail!.exitCode, 137, 'a failed postStart hook kills the container');
    assert.equal(st.phase, 'Failed');
  },
);

const versioned = (v: string) => `apiVersion: v1
kind: Pod
metadata: {name: changing}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: busybox, env: [{name: V, value: ${v}}], command: [sh, -c, 'echo $V; exec sleep 3600']}
`;

test(
  'a changed manifest replaces the pod; a removed one removes it and everything it had',
  { skip },
  async (t) => {
    const n = nodeInstance(t);
    n.write('changing.yaml', versioned('one'));
    await n.agent.start();
    const first = await waitFor(
      'v1 running',
      () => pod(n.agent, 'changing')?.status.phase === 'Running' && pod(n.agent, 'changing'),
    );
    await waitFor('v1 log', () => logText(n.dataDir, first.uid, 'c') === 'one');
    const cg1 = n.agent.worker('changing')!.podCgroup;
    const pid1 = n.agent.worker('changing')!.running('c')!.pid;
    n.write('changing.yaml', versioned('two'));
    const second = await waitFor('v2 running', () => {
      const p = pod(n.agent, 'changing');
      return p && p.uid !== first.uid && p.status.containerStatuses[0]?.state.running && p;
    });
    await waitFor('v2 log', () => logText(n.dataDir, second.uid, 'c') === 'two');
    assert.equal(processAlive(pid1), false, 'the old container is gone');
    assert.equal(n.agent.pods().length, 1);
    await podGone(n, first.uid, cg1);
    const cg2 = n.agent.worker('changing')!.podCgroup;
    const sandbox2 = second.sandboxPid!;
    n.remove('changing.yaml');
    await waitFor('pod removed', () => n.agent.pods().length === 0);
    await n.agent.settled();
    assert.equal(processAlive(sandbox2), false, 'the pause process is gone');
    await podGone(n, second.uid, cg2);
  },
);

test('hostNetwork, hostPID and hostIPC share the host namespaces', { skip }, async (t) => {
  const n = nodeInstance(t);
  n.write(
    'host.yaml',
    `apiVersion: v1
kind: Pod
metadata: {name: hosty}
spec:
  hostNetwork: true
  hostPID: true
  hostIPC: true
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: busybox, command: [sh, -c, 'hostname; exec sleep 3600']}
---
apiVersion: v1
kind: Pod
metadata: {name: own}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: busybox, command: [sleep, '3600']}
`,
  );
  await n.agent.start();
  const h = await waitFor(
    'host pod running',
    () => pod(n.agent, 'hosty')?.status.phase === 'Running' && pod(n.agent, 'hosty'),
  );
  await waitFor('own pod running', () => pod(n.agent, 'own')?.status.phase === 'Running');
  const hostPid = n.agent.worker('hosty')!.running('c')!.pid;
  const ownPid = n.agent.worker('own')!.running('c')!.pid;
  for (const kind of ['net', 'pid', 'ipc', 'uts']) {
    assert.equal(nsOf(hostPid, kind), nsOf(process.pid, kind), `host pod: ${kind}`);
    assert.notEqual(nsOf(ownPid, kind), nsOf(process.pid, kind), `own pod: ${kind}`);
  }
  assert.notEqual(nsOf(hostPid, 'mnt'), nsOf(process.pid, 'mnt'), 'still its own mount namespace');
  await waitFor('hostname logged', () => logText(n.dataDir, h.uid, 'c') === n.agent.ctx.nodeName);
});

test('a pod removed while its containers are still starting is stopped all the same', { skip }, async (t) => {
  const n = nodeInstance(t);
  n.write('quick.yaml', versioned('quick').replace('changing', 'quick'));
  await n.agent.start();
  const w = n.agent.worker('quick')!;
  const cgroup = w.podCgroup;
  await new Promise((r) => setTimeout(r, 150)); // the sandbox or the container is being created
  n.remove('quick.yaml');
  await waitFor('pod removed', () => n.agent.pods().length === 0);
  await Promise.race([
    n.agent.settled(),
    new Promise((_, rej) => setTimeout(() => rej(new Error('stop hangs')), 10_000)),
  ]);
  await podGone(n, w.uid, cgroup);
});
