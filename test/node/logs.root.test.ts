// Container logs through the node agent's endpoint and `corral node logs`: the previous instance's
// log after a restart (its own CRI file), the kubelet's error when there is none, timestamps from
// the CRI records, tailLines, limitBytes and sinceTime.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serve, socketPath } from '../../src/node/endpoint.js';
import { execProgram } from '../peers/exec.js';
import { isRoot, nodeInstance, pod, waitFor } from './support.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
const opts = { skip: !isRoot && 'needs root', timeout: 120_000 };

const POD = (name: string, policy: string, cmd: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: ${policy}
  terminationGracePeriodSeconds: 1
  volumes: [{name: d, emptyDir: {}}]
  containers:
  - name: main
    image: busybox
    volumeMounts: [{name: d, mountPath: /d}]
    command: [sh, -c, ${JSON.stringify(cmd)}]
`;

function get(dataDir: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socketPath(dataDir), path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const cli = (dataDir: string, args: string[]) =>
  execProgram(process.execPath, [MAIN, '--data-dir', dataDir, 'node', 'logs', ...args], {
    timeoutMs: 60_000,
  });

test('node logs: --previous after a restart, --timestamps, --tail; no previous instance', opts, async (t) => {
  const n = nodeInstance(t);
  await n.agent.start();
  const server = await serve(n.agent);
  t.after(() => void server.close());
  // Each instance says which it is (the count lives in an emptyDir), runs a while, then fails.
  n.write(
    'again.yaml',
    POD(
      'again',
      'Always',
      'i=$(cat /d/n 2>/dev/null || echo 0); echo $((i+1)) > /d/n; echo "run $i"; echo "err $i" >&2; sleep 30; exit 1',
    ),
  );
  n.write('once.yaml', POD('once', 'Never', 'for i in 1 2 3 4 5; do echo line $i; done; sleep 3600'));
  await waitFor('pod once logged', () => n.agent.worker('once')?.running('main'), 60_000);
  await waitFor('again running', () => n.agent.worker('again')?.running('main'), 60_000);
  // The first instance ends only when killed (as by a failed liveness probe).
  const first = n.agent.worker('again')!.running('main')!;
  for (let i = 0; !(await get(n.dataDir, '/logs?pod=again')).body.includes('err 0'); i++) {
    assert.ok(i < 100, 'the first instance logged nothing');
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(first.pid, 'SIGKILL');
  await waitFor(
    'again restarted and running',
    () => {
      const st = pod(n.agent, 'again')?.status.containerStatuses[0];
      return st && st.restartCount === 1 && st.state.running;
    },
    60_000,
  );
  await new Promise((r) => setTimeout(r, 500));

  const cur = await cli(n.dataDir, ['again']);
  assert.equal(cur.code, 0, cur.stderr);
  assert.equal(cur.stdout, 'run 1\nerr 1\n');
  const prev = await cli(n.dataDir, ['again', 'main', '--previous']);
  assert.equal(prev.code, 0, prev.stderr);
  assert.equal(prev.stdout, 'run 0\nerr 0\n');

  const ts = await cli(n.dataDir, ['again', '--timestamps']);
  assert.equal(ts.code, 0, ts.stderr);
  const lines = ts.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 2);
  for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z (run|err) 1$/);
  const stamp = Date.parse(lines[0]!.split(' ')[0]!);
  const started = Date.parse(pod(n.agent, 'again')!.status.containerStatuses[0]!.state.running!.startedAt);
  assert.ok(Math.abs(stamp - started) < 10_000, `${lines[0]} vs start ${started}`);

  const none = await cli(n.dataDir, ['once', '--previous']);
  assert.equal(none.code, 125);
  assert.match(none.stderr, /previous terminated container "main" in pod "once" not found/);

  const tail = await cli(n.dataDir, ['once', '--tail', '2']);
  assert.equal(tail.stdout, 'line 4\nline 5\n');
  const bad = await cli(n.dataDir, ['once', '--tail', 'x']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /--tail: "x" is not a number/);

  // limitBytes and sinceTime at the endpoint (the API server maps sinceSeconds to sinceTime)
  const lim = await get(n.dataDir, '/logs?pod=once&limitBytes=9');
  assert.equal(lim.body, 'line 1\nli');
  const future = new Date(Date.now() + 60_000).toISOString();
  const since = await get(n.dataDir, `/logs?pod=once&sinceTime=${future}`);
  assert.equal(since.status, 200);
  assert.equal(since.body, '');
  const past = await get(n.dataDir, `/logs?pod=once&sinceTime=${new Date(0).toISOString()}&timestamps=1`);
  assert.equal(past.body.split('\n').filter(Boolean).length, 5);
  const malformed = await get(n.dataDir, '/logs?pod=once&sinceTime=yesterday');
  assert.equal(malformed.status, 404);
  assert.match(malformed.body, /sinceTime: "yesterday" is not an RFC 3339 time/);
});
