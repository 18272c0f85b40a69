// kubectl logs (--previous, --timestamps, --tail, --limit-bytes, --since-time), kubectl run -i
// --rm / attach -i (spec.stdin, stdinOnce), kubectl run -it (spec.tty: a terminal of its own) and kubectl port-forward (WebSocket-tunnelled SPDY and
// the plain SPDY fallback, a port nobody listens on) against `corral up` with the real kubectl.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';
import { execProgram } from '../../peers/exec.js';
import { startCorralUp, waitUntil as waitFor } from '../../support/corral-up.js';

const isRoot = process.getuid?.() === 0;

const PODS = `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: busybox
    command: [sh, -c, 'mkdir /www; echo hello-from-the-pod > /www/index.html; dd if=/dev/urandom of=/www/big bs=1024 count=2048 2>/dev/null; trap "exit 0" TERM; httpd -f -p 8080 -h /www & wait']
---
apiVersion: v1
kind: Pod
metadata: {name: again}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: d, emptyDir: {}}]
  containers:
  - name: main
    image: busybox
    volumeMounts: [{name: d, mountPath: /d}]
    command: [sh, -c, 'i=$(cat /d/n 2>/dev/null || echo 0); echo $((i+1)) > /d/n; echo "run $i"; echo "err $i" >&2; trap "exit 0" TERM; while [ ! -e /d/stop$i ]; do sleep 0.2; done; exit 1']
`;

/** An HTTP/1.0 GET through a forwarded port: the whole answer (the server closes). */
function httpGet(port: number, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    s.on('connect', () => s.end(`GET ${path} HTTP/1.0\r\n\r\n`)); // half-close after the request
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
  });
}

const body = (r: Buffer) => r.subarray(r.indexOf('\r\n\r\n') + 4);

test(
  'kubectl logs and port-forward through corral up',
  {
    skip: (!isRoot && 'needs root') || (!existsSync('/usr/bin/kubectl') && 'kubectl is not installed'),
    timeout: 240_000,
  },
  async (t) => {
    const forwards: ReturnType<typeof spawn>[] = [];
    const { env, kubectl } = await startCorralUp(t, {
      name: 'connect',
      nodeName: 'connect-node',
      args: ['--network', 'none', '--backoff-base', '300'],
      beforeStop: () => {
        for (const f of forwards) if (f.exitCode === null && f.signalCode === null) f.kill('SIGKILL');
      },
    });
    const applied = await kubectl(['apply', '-f', '-'], PODS);
    assert.equal(applied.code, 0, applied.stderr);
    await waitFor('pods Running', async () => {
      const r = await kubectl(['get', 'pods', 'web', 'again', '-o', 'jsonpath={.items[*].status.phase}']);
      return r.stdout === 'Running Running';
    });

    await t.test('logs --previous: 400 before a restart, the previous instance after it', async () => {
      const none = await kubectl(['logs', 'again', '--previous']);
      assert.notEqual(none.code, 0);
      assert.match(none.stderr, /previous terminated container "main" in pod "again" not found/);
      await waitFor('"run 0" logged', async () =>
        (await kubectl(['logs', 'again'])).stdout.includes('err 0'),
      );
      assert.equal((await kubectl(['exec', 'again', '--', 'touch', '/d/stop0'])).code, 0);
      await waitFor('the second instance logged', async () => {
        const r = await kubectl([
          'get',
          'pod',
          'again',
          '-o',
          'jsonpath={.status.containerStatuses[0].restartCount}',
        ]);
        return r.stdout === '1' && (await kubectl(['logs', 'again'])).stdout.includes('err 1');
      });
      const cur = await kubectl(['logs', 'again']);
      assert.equal(cur.stdout, 'run 1\nerr 1\n');
      const prev = await kubectl(['logs', 'again', '-p']);
      assert.equal(prev.code, 0, prev.stderr);
      assert.equal(prev.stdout, 'run 0\nerr 0\n');
    });

    await t.test('logs --timestamps, --tail, --limit-bytes, --since-time', async () => {
      const ts = await kubectl(['logs', 'again', '--timestamps']);
      const lines = ts.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 2, ts.stdout);
      for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z (run|err) 1$/);
      assert.ok(Date.parse(lines[0]!.split(' ')[0]!) <= Date.parse(lines[1]!.split(' ')[0]!));
      assert.equal((await kubectl(['logs', 'again', '--tail=1'])).stdout, 'err 1\n');
      assert.equal((await kubectl(['logs', 'again', '--limit-bytes=4'])).stdout, 'run ');
      const later = await kubectl(['logs', 'again', '--since-time=2099-01-01T00:00:00Z']);
      assert.equal(later.code, 0, later.stderr);
      assert.equal(later.stdout, '');
      assert.equal((await kubectl(['logs', 'again', '--since=1h'])).stdout, 'run 1\nerr 1\n');
    });

    await t.test('run -i --rm and attach -i: the container reads what kubectl sends', async () => {
      const r = await kubectl(
        [
          'run',
          '-i',
          '--rm',
          'reader',
          '--image=busybox',
          '--restart=Never',
          '--',
          'sh',
          '-c',
          'while read l; do echo "got:$l"; done; echo eof',
        ],
        'hello there\nsecond\n',
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^got:hello there\ngot:second\neof\n/m);
      assert.match(r.stdout, /pod "reader" deleted/);
      // web has no stdin: -i is refused with what to change
      const refused = await kubectl(['attach', '-i', 'web'], 'x\n');
      assert.notEqual(refused.code, 0);
      assert.match(
        refused.stderr,
        /container web has no stdin .*set stdin: true in the pod spec, or attach without -i/,
      );
    });

    await t.test(
      'run -it --rm: a shell on the container’s own terminal (kubectl on a pty from script)',
      { skip: !existsSync('/usr/bin/script') && 'script (util-linux) is not installed' },
      async () => {
        // script gives kubectl a terminal; what it reads is typed into it (kubectl sends it once
        // attached), a terminal's Enter is \r.
        const r = await execProgram(
          'script',
          ['-qec', 'kubectl run -it --rm term --image=busybox --restart=Never -- sh', '/dev/null'],
          { env, timeoutMs: 90_000, input: 'echo hi-$((40+2)) $TERM\rexit\r' },
        );
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /^hi-42 xterm\r$/m, r.stdout);
        assert.match(r.stdout, /pod "term" deleted/);
      },
    );

    /** kubectl port-forward to a free local port; resolves with that port once it listens. */
    const forward = async (remote: number, extraEnv: Record<string, string> = {}) => {
      const f = spawn('kubectl', ['port-forward', 'pod/web', `:${remote}`], {
        env: { ...env, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      forwards.push(f);
      const o = { out: '', err: '' };
      f.stdout!.on('data', (d: Buffer) => (o.out += d.toString()));
      f.stderr!.on('data', (d: Buffer) => (o.err += d.toString()));
      const done = new Promise<number | null>((r) => f.once('exit', (code) => r(code)));
      await waitFor(
        'kubectl port-forward to listen',
        async () => /127\.0\.0\.1:\d+ ->/.test(o.out) || f.exitCode !== null,
      );
      assert.equal(f.exitCode, null, o.err);
      return { port: Number(/127\.0\.0\.1:(\d+) ->/.exec(o.out)![1]), o, done, f };
    };

    await t.test('port-forward over WebSocket: HTTP through the pod, 2 MiB intact', async () => {
      const { port, f } = await forward(8080);
      assert.equal(body(await httpGet(port, '/index.html')).toString(), 'hello-from-the-pod\n');
      const big = body(await httpGet(port, '/big'));
      const sum = await kubectl(['exec', 'web', '--', 'sha256sum', '/www/big']);
      assert.equal(big.length, 2048 * 1024);
      assert.equal(createHash('sha256').update(big).digest('hex'), sum.stdout.split(' ')[0]);
      // several connections at once over the one session
      const many = await Promise.all([1, 2, 3, 4].map(() => httpGet(port, '/index.html')));
      for (const r of many) assert.equal(body(r).toString(), 'hello-from-the-pod\n');
      f.kill('SIGINT');
    });

    await t.test('port-forward over plain SPDY (the fallback kubectl takes without WebSocket)', async () => {
      const { port, f } = await forward(8080, { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' });
      assert.equal(body(await httpGet(port, '/index.html')).toString(), 'hello-from-the-pod\n');
      f.kill('SIGINT');
    });

    await t.test('port-forward to a port nobody listens on: the error on the error stream', async () => {
      const { port, o, done } = await forward(8081);
      await httpGet(port, '/').catch(() => Buffer.alloc(0));
      const code = await done;
      assert.notEqual(code, 0);
      assert.match(
        o.err,
        /an error occurred forwarding \d+ -> 8081: error forwarding port 8081 to pod web, uid [0-9a-f-]+: failed to connect to localhost:8081 .*ECONNREFUSED/,
      );
      assert.match(o.err, /lost connection to pod/);
    });
  },
);
