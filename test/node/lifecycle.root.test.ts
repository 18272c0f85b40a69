// Pod lifecycle on the real kernel: init containers in order, OOMKilled with 137 while the
// neighbour runs on, CrashLoopBackOff with growing delays, a failing liveness probe restarts the
// container, a hanging probe is timed out, volumes show their content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { logText, isRoot, nodeInstance, pod, waitFor } from './support.js';

const skip = !isRoot && 'needs root';

test('init containers run in order, each to completion, before the app container', { skip }, async (t) => {
  const n = nodeInstance(t);
  n.write(
    'init.yaml',
    `apiVersion: v1
kind: Pod
metadata: {name: init}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: shared, emptyDir: {}}]
  initContainers:
  - {name: one, image: busybox, command: [sh, -c, 'sleep 0.3; echo one >> /s/order'], volumeMounts: [{name: shared, mountPath: /s}]}
  - {name: two, image: busybox, command: [sh, -c, 'echo two >> /s/order'], volumeMounts: [{name: shared, mountPath: /s}]}
  containers:
  - {name: app, image: busybox, command: [sh, -c, 'echo app >> /s/order; cat /s/order; exec sleep 3600'], volumeMounts: [{name: shared, mountPath: /s}]}
`,
  );
  await n.agent.start();
  const p = await waitFor(
    'app running',
    () => pod(n.agent, 'init')?.status.containerStatuses[0]?.state.running && pod(n.agent, 'init'),
  );
  await waitFor('app output', () => logText(n.dataDir, p.uid, 'app').includes('app'));
  assert.equal(logText(n.dataDir, p.uid, 'app'), 'one\ntwo\napp');
  const st = pod(n.agent, 'init')!.status;
  assert.equal(st.phase, 'Running');
  assert.deepEqual(
    st.initContainerStatuses.map((c) => c.state.terminated?.reason),
    ['Completed', 'Completed'],
  );
  assert.equal(st.conditions.find((c) => c.type === 'Initialized')?.status, 'True');
});

test('a memory hog ends OOMKilled with 137 while its neighbour runs on', { skip }, async (t) => {
  const n = nodeInstance(t);
  n.write(
    'oom.yaml',
    `apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: hog
    image: busybox
    command: [sh, -c, 'x=$(yes | head -c 100000000); echo survived']
    resources: {limits: {memory: 16Mi}}
  - name: calm
    image: busybox
    command: [sleep, '3600']
    resources: {limits: {memory: 16Mi}}
`,
  );
  await n.agent.start();
  const hog = await waitFor(
    'hog terminated',
    () => pod(n.agent, 'hog')?.status.containerStatuses[0]?.state.terminated,
    30_000,
  );
  assert.equal(hog.reason, 'OOMKilled');
  assert.equal(hog.exitCode, 137);
  const st = pod(n.agent, 'hog')!.status;
  assert.ok(st.containerStatuses[1]!.state.running, JSON.stringify(st.containerStatuses[1]));
  assert.equal(st.qosClass, 'Burstable');
});

test(
  'a crashing container backs off with growing delays; restartCount and lastState',
  { skip },
  async (t) => {
    const n = nodeInstance(t, { backoffBaseMs: 400 });
    n.write(
      'crash.yaml',
      `apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: data, emptyDir: {}}]
  containers:
  - name: c
    image: busybox
    command: [sh, -c, 'cut -d" " -f1 /proc/uptime >> /data/starts; echo "run $(wc -l < /data/starts)"; exit 3']
    volumeMounts: [{name: data, mountPath: /data}]
`,
    );
    await n.agent.start();
    const p = await waitFor(
      '3 restarts',
      () =>
        (pod(n.agent, 'crash')?.status.containerStatuses[0]?.restartCount ?? 0) >= 3 && pod(n.agent, 'crash'),
      30_000,
    );
    // Each run's start time, kept across restarts by the pod's emptyDir.
    const startsFile = join(n.dataDir, 'pods', p.uid, 'volumes/kubernetes.io~empty-dir/data/starts');
    const startTimes = () =>
      existsSync(startsFile) ? readFileSync(startsFile, 'utf8').trim().split('\n') : [];
    await waitFor('4 starts recorded', () => startTimes().length >= 4);
    const starts = startTimes().map(Number);
    assert.ok(starts.length >= 4, String(starts));
    const gaps = starts.slice(1).map((s, i) => s - starts[i]!);
    // 0.4 s, 0.8 s, 1.6 s (+ start time): each gap longer than the one before.
    assert.ok(gaps[0]! >= 0.4, String(gaps));
    assert.ok(gaps[1]! > gaps[0]! && gaps[2]! > gaps[1]!, String(gaps));
    const cs = pod(n.agent, 'crash')!.status.containerStatuses[0]!;
    assert.equal(cs.lastState.terminated?.exitCode, 3);
    assert.equal(cs.lastState.terminated?.reason, 'Error');
    await waitFor(
      'CrashLoopBackOff',
      () => pod(n.agent, 'crash')!.status.containerStatuses[0]!.state.waiting?.reason === 'CrashLoopBackOff',
    );
    // Logs: the last instance's and the one before (what `logs` and `logs --previous` read), no
    // older ones.
    const logDir = join(n.dataDir, 'pods', p.uid, 'c');
    let seen = '';
    await waitFor('two instance logs', () => {
      // One snapshot: the status, the files and what they hold (a restart may come in between).
      const r = pod(n.agent, 'crash')!.status.containerStatuses[0]!.restartCount;
      const files = readdirSync(logDir).sort().join(' ');
      const text = logText(n.dataDir, p.uid, 'c');
      seen = `after ${r} restarts: ${files} | ${text.replace(/\n/g, ' / ')}`;
      return files === [`${r - 1}.log`, `${r}.log`].sort().join(' ') && text === `run ${r}\nrun ${r + 1}`;
    }).catch((e: Error) => {
      throw new Error(`${e.message}; ${seen}`);
    });
  },
);

test('a failing liveness probe restarts the container; a hanging probe is timed out', { skip }, async (t) => {
  const n = nodeInstance(t);
  n.write(
    'probe.yaml',
    `apiVersion: v1
kind: Pod
metadata: {name: probed}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: live
    image: busybox
    command: [sh, -c, 'touch /tmp/ok; sleep 1.5; rm /tmp/ok; exec sleep 3600']
    livenessProbe: {exec: {command: [cat, /tmp/ok]}, periodSeconds: 1, failureThreshold: 1}
  - name: hang
    image: busybox
    command: [sleep, '3600']
    readinessProbe: {exec: {command: [sleep, '30']}, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 1}
  - name: web
    image: busybox
    command: [sh, -c, 'mkdir -p /w && echo ok > /w/index.html && exec httpd -f -p 8081 -h /w']
    readinessProbe: {httpGet: {path: /, port: 8081}, periodSeconds: 1}
    livenessProbe: {tcpSocket: {port: 8081}, periodSeconds: 1}
`,
  );
  await n.agent.start();
  const started = Date.now();
  t.after(() => console.error(JSON.stringify(pod(n.agent, 'probed')?.status.containerStatuses)));
  await waitFor(
    'live restarted',
    () => (pod(n.agent, 'probed')?.status.containerStatuses[0]?.restartCount ?? 0) >= 1,
    30_000,
  );
  await waitFor('web ready', () => pod(n.agent, 'probed')?.status.containerStatuses[2]?.ready);
  const st = pod(n.agent, 'probed')!.status;
  assert.equal(st.containerStatuses[1]!.ready, false, 'hanging readiness probe never succeeds');
  assert.equal(st.containerStatuses[1]!.restartCount, 0);
  assert.equal(st.containerStatuses[2]!.restartCount, 0);
  assert.ok(Date.now() - started < 30_000);
  // The hanging probe's sleep processes were killed at the timeout: at most one is alive.
  const w = n.agent.worker('probed')!;
  const pids = await n.agent.ctx.runtime.ps(w.running('hang')!.id);
  assert.ok(pids.length <= 2, `processes in hang: ${pids.length}`);
});

test(
  'volumes show their content: emptyDir (Memory), configMap, secret (tmpfs), downwardAPI, projected, hostPath',
  { skip },
  async (t) => {
    const n = nodeInstance(t);
    n.write(
      'vol.yaml',
      `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {greeting: hello-config}
---
apiVersion: v1
kind: Secret
metadata: {name: sec}
data: {password: czNjcjN0}
---
apiVersion: v1
kind: Pod
metadata: {name: vols, labels: {app: demo}}
spec:
  restartPolicy: Never
  volumes:
  - {name: mem, emptyDir: {medium: Memory, sizeLimit: 1Mi}}
  - {name: cfg, configMap: {name: cfg}}
  - {name: sec, secret: {secretName: sec}}
  - name: info
    downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}, {path: labels, fieldRef: {fieldPath: metadata.labels}}]}
  - name: proj
    projected: {sources: [{configMap: {name: cfg}}, {secret: {name: sec}}]}
  - {name: host, hostPath: {path: /proc/sys/kernel, type: Directory}}
  containers:
  - name: c
    image: busybox
    env:
    - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: GREETING, valueFrom: {configMapKeyRef: {name: cfg, key: greeting}}}
    - {name: BOTH, value: '$(POD)/$(NS)'}
    command: [sh, -c]
    args:
    - |
      cat /cfg/greeting; echo; cat /sec/password; echo; cat /info/name; echo; cat /info/labels; echo
      cat /proj/greeting /proj/password; echo; cat /host/ostype
      grep -E ' /(sec|mem) ' /proc/mounts | cut -d' ' -f2,3 | sort
      echo $POD $NS $GREETING $BOTH
      dd if=/dev/zero of=/mem/big bs=1k count=2048 2>/dev/null || echo mem-full
    volumeMounts:
    - {name: mem, mountPath: /mem}
    - {name: cfg, mountPath: /cfg}
    - {name: sec, mountPath: /sec, readOnly: true}
    - {name: info, mountPath: /info}
    - {name: proj, mountPath: /proj}
    - {name: host, mountPath: /host, readOnly: true}
`,
    );
    await n.agent.start();
    const p = await waitFor(
      'done',
      () => pod(n.agent, 'vols')?.status.phase === 'Succeeded' && pod(n.agent, 'vols'),
      30_000,
    );
    assert.equal(
      logText(n.dataDir, p.uid, 'c'),
      [
        'hello-config',
        's3cr3t',
        'vols',
        'app="demo"',
        'hello-configs3cr3t',
        'Linux',
        '/mem tmpfs',
        '/sec tmpfs',
        'vols default hello-config vols/default',
        'mem-full',
      ].join('\n'),
    );
  },
);
