// The node's --seccomp-default: containers whose pod names no seccompProfile get RuntimeDefault
// (Corral's default) or run Unconfined (seccompDefault: false, the kubelet's own default); a
// profile the pod names wins either way. Read from the kernel: /proc/PID/status `Seccomp:`
// (0 none, 2 filter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isRoot, nodeInstance, pod, waitFor } from './support.js';

const skip = !isRoot && 'needs root';

const POD = `apiVersion: v1
kind: Pod
metadata: {name: sc}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: plain, image: busybox, command: [sleep, '3600']}
  - name: runtime-default
    image: busybox
    command: [sleep, '3600']
    securityContext: {seccompProfile: {type: RuntimeDefault}}
  - name: unconfined
    image: busybox
    command: [sleep, '3600']
    securityContext: {seccompProfile: {type: Unconfined}}
`;

const seccompMode = (pid: number) =>
  /^Seccomp:\s+(\d)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];

for (const seccompDefault of [undefined, false]) {
  test(
    `seccompDefault ${seccompDefault ?? '(unset)'}: the profile of a pod that names none`,
    { skip },
    async (t) => {
      const n = nodeInstance(t, seccompDefault === undefined ? {} : { seccompDefault });
      n.write('pod.yaml', POD);
      await n.agent.start();
      await waitFor('sc running', () =>
        pod(n.agent, 'sc')?.status.containerStatuses.every((c) => c.state.running),
      );
      const w = n.agent.worker('sc')!;
      const mode = (c: string) => seccompMode(w.running(c)!.pid);
      assert.equal(mode('plain'), seccompDefault === false ? '0' : '2');
      assert.equal(mode('runtime-default'), '2');
      assert.equal(mode('unconfined'), '0');
    },
  );
}
