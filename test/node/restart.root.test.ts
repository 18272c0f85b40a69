// kill -9 of the node agent: the pod keeps running (same processes, no restart), an exit that
// happened while no agent ran is not lost, the restarted agent re-adopts the pod, its logs go on;
// `corral node pods/logs/exec` work against the agent's unix socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execProgram } from '../peers/exec.js';
import { CORRAL_MAIN, withReaderGone } from '../cli/support.js';
import { isRoot, logText, nodeInstance, waitFor } from './support.js';

const skip = !isRoot && 'needs root';

const POD = `apiVersion: v1
kind: Pod
metadata: {name: steady}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: runner
    image: busybox
    command: [sh, -c, 'i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.2; done']
  - name: quitter
    image: busybox
    command: [sh, -c, 'sleep 2.5; exit 7']
`;

interface PodJson {
  name: string;
  uid: string;
  status: {
    containerStatuses: {
      name: string;
      restartCount: number;
      state: { running?: object; terminated?: { exitCode: number } };
    }[];
  };
}

test(
  'kill -9 of the agent: pods keep running and are re-adopted; exits meanwhile are kept',
  { skip },
  async (t) => {
    const n = nodeInstance(t);
    n.write('pod.yaml', POD);
    const corral = (args: string[]) =>
      execProgram(process.execPath, [CORRAL_MAIN, '--data-dir', n.dataDir, ...args], {
        env: { ...process.env, CORRAL_CGROUP_ROOT: n.cgroupRoot },
        timeoutMs: 20_000,
      });
    // The agents' messages, for a failure's message.
    const agentLog = join(n.dataDir, '..', 'agent.log');
    const agentSays = () => (existsSync(agentLog) ? readFileSync(agentLog, 'utf8').slice(-2000) : '');
    const startAgent = (): ChildProcess => {
      const logFd = openSync(agentLog, 'a');
      const c = spawn(
        process.execPath,
        [
          CORRAL_MAIN,
          '--data-dir',
          n.dataDir,
          'node',
          '--manifests',
          n.manifests,
          '--cgroup-root',
          n.cgroupRoot,
          '--backoff-base',
          '300',
          // The agent is killed with -9 here: no network, so nothing of it stays in the host's netns.
          '--network',
          'none',
        ],
        {
          detached: true,
          stdio: ['ignore', 'ignore', logFd],
        },
      );
      closeSync(logFd);
      c.unref();
      return c;
    };
    const pods = async (): Promise<PodJson[]> => {
      const r = await corral(['node', 'pods', '-o', 'json']);
      return r.code === 0 ? (JSON.parse(r.stdout) as { pods: PodJson[] }).pods : [];
    };
    const recordPid = (uid: string, ctr: string): number | undefined =>
      (
        JSON.parse(readFileSync(join(n.dataDir, 'run', 'pods', uid, 'pod.json'), 'utf8')) as {
          containers: Record<string, { current?: { pid: number } }>;
        }
      ).containers[ctr]?.current?.pid;

    let agent = startAgent();
    try {
      let p!: PodJson;
      const until = async (what: string, ok: (p: PodJson) => boolean, ms = 30_000) => {
        const end = Date.now() + ms;
        for (;;) {
          const got = existsSync(join(n.dataDir, 'node.sock'))
            ? (await pods()).find((x) => x.name === 'steady')
            : undefined;
          if (got && ok(got)) return (p = got);
          if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(got)}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      };
      await until('running', (x) => x.status.containerStatuses.every((c) => c.state.running));
      const pid = recordPid(p.uid, 'runner')!;
      assert.ok(pid > 0);

      const ex = await corral([
        'node',
        'exec',
        'steady',
        '-c',
        'runner',
        '--',
        'sh',
        '-c',
        'echo in-$HOSTNAME; echo oops >&2; exit 5',
      ]);
      assert.equal(ex.code, 5, `stdout: ${ex.stdout} stderr: ${ex.stderr} agent: ${agentSays()}`);
      assert.equal(ex.stdout, 'in-steady\n');
      assert.equal(ex.stderr, 'oops\n');
      const logs = await corral(['node', 'logs', 'steady', 'runner']);
      assert.match(logs.stdout, /^tick 1\n/);
      // A reader that went away (corral node logs ... | head): 141, quietly, as `corral ps`.
      const piped = await withReaderGone(['--data-dir', n.dataDir, 'node', 'logs', 'steady', 'runner'], {
        ...process.env,
        CORRAL_CGROUP_ROOT: n.cgroupRoot,
      });
      assert.equal(piped.stderr, 'status 141\n');

      process.kill(agent.pid!, 'SIGKILL');
      await waitFor('agent gone', () => agent.exitCode !== null || agent.signalCode !== null);
      const ticksBefore = logText(n.dataDir, p.uid, 'runner').split('\n').length;
      await new Promise((r) => setTimeout(r, 3000)); // the quitter exits while no agent runs
      assert.ok(process.kill(pid, 0), 'the container survived the agent');

      agent = startAgent();
      await until(
        're-adopted',
        (x) => !!x.status.containerStatuses.find((c) => c.name === 'quitter')?.state.terminated,
      );
      const runner = p.status.containerStatuses.find((c) => c.name === 'runner')!;
      assert.ok(runner.state.running);
      assert.equal(runner.restartCount, 0);
      assert.equal(recordPid(p.uid, 'runner'), pid, 'the same process');
      assert.equal(
        p.status.containerStatuses.find((c) => c.name === 'quitter')!.state.terminated!.exitCode,
        7,
      );
      await waitFor(
        'logs go on',
        () => logText(n.dataDir, p.uid, 'runner').split('\n').length > ticksBefore + 3,
      );
    } finally {
      process.kill(agent.pid!, 'SIGKILL');
      n.remove('pod.yaml');
      await n.agent.start(); // adopts nothing wanted: stops and removes the pod
    }
  },
);
