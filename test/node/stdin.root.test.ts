// spec.containers[].stdin through the node agent's endpoint: /attach?stdin=1 writes into the
// container's stdin; without stdinOnce it stays open across attaches (no EOF), with stdinOnce the
// end of the first attach is the container's EOF; a container without stdin refuses -i.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { serve, socketPath } from '../../src/node/endpoint.js';
import { isRoot, logText, nodeInstance, pod, waitFor } from './support.js';

const opts = { skip: !isRoot && 'needs root', timeout: 120_000 };

const READER = 'trap "exit 0" TERM; while read l; do echo "got:$l"; done; echo eof; exit 3';
const POD = (name: string, extra: string, cmd = READER) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
${extra}    command: [sh, -c, ${JSON.stringify(cmd)}]
`;

/** Attach with stdin: send `input`, half-close, and collect the frames until `until` is seen. */
function attach(
  dataDir: string,
  name: string,
  input: string,
  until: (out: string) => boolean,
): Promise<{ status: number; out: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      socketPath: socketPath(dataDir),
      path: `/attach?pod=${name}&container=main&stdin=1`,
      method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: 'corral-exec' },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, out: '', body }));
    });
    req.on('error', reject);
    req.on('upgrade', (_res, s: Socket, head: Buffer) => {
      // What came with the 101 (maybe every frame of a short command) is read as data first.
      if (head.length) s.unshift(head);
      let buf = Buffer.alloc(0);
      let out = '';
      const done = () => {
        s.destroy();
        resolve({ status: 101, out, body: '' });
      };
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 5 && buf.length >= 5 + buf.readUInt32BE(1)) {
          const n = buf.readUInt32BE(1);
          if (buf[0] === 1) out += buf.subarray(5, 5 + n).toString();
          buf = buf.subarray(5 + n);
        }
        if (until(out)) done();
      });
      s.on('close', done);
      s.end(input);
    });
    req.end();
  });
}

test('attach -i: stdin kept open across attaches; stdinOnce ends with the first', opts, async (t) => {
  const n = nodeInstance(t);
  await n.agent.start();
  const server = await serve(n.agent);
  t.after(() => void server.close());
  n.write('open.yaml', POD('open', '    stdin: true\n'));
  n.write('once.yaml', POD('once', '    stdin: true\n    stdinOnce: true\n'));
  n.write('none.yaml', POD('none', '', 'trap "exit 0" TERM; sleep 3600 & wait'));
  for (const p of ['open', 'once', 'none'])
    await waitFor(`pod ${p} running`, () => n.agent.worker(p)?.running('main'), 60_000);

  const a = await attach(n.dataDir, 'open', 'first\n', (o) => o.includes('got:first'));
  assert.equal(a.status, 101, a.body);
  assert.equal(a.out, 'got:first\n');
  const b = await attach(n.dataDir, 'open', 'second\n', (o) => o.includes('got:second'));
  assert.equal(b.out, 'got:second\n');
  // Both attaches ended, yet the container never read EOF: it still runs.
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok(n.agent.worker('open')!.running('main'));
  assert.doesNotMatch(logText(n.dataDir, n.agent.worker('open')!.uid, 'main'), /eof/);

  const c = await attach(n.dataDir, 'once', 'only\n', (o) => o.includes('eof'));
  assert.equal(c.out, 'got:only\neof\n');
  const st = await waitFor(
    'once terminated',
    () => pod(n.agent, 'once')?.status.containerStatuses[0]?.state.terminated,
  );
  assert.equal(st.exitCode, 3);

  const refused = await attach(n.dataDir, 'none', 'x\n', () => false);
  assert.equal(refused.status, 404);
  assert.match(
    refused.body,
    /container main has no stdin .*set stdin: true in the pod spec, or attach without -i/,
  );
});
