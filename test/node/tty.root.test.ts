// Exec with a terminal and attach through the node agent's endpoint: `corral node exec -it` under a
// real pty (util-linux script), the endpoint's tty protocol with a resize, and /attach following a
// container's output until it exits.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serve, socketPath } from '../../src/node/endpoint.js';
import { execProgram } from '../peers/exec.js';
import { isRoot, nodeInstance, waitFor } from './support.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
const opts = {
  skip: (!isRoot && 'needs root') || (!existsSync('/usr/bin/script') && 'util-linux script is not installed'),
  timeout: 120_000,
};
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

const POD = (name: string, cmd: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: [sh, -c, ${JSON.stringify(cmd)}]
`;

function frame(stream: number, data: string): Buffer {
  const b = Buffer.from(data);
  const h = Buffer.alloc(5);
  h[0] = stream;
  h.writeUInt32BE(b.length, 1);
  return Buffer.concat([h, b]);
}

/** An upgrade to the endpoint: the frames it sends until it closes, by stream. */
function upgrade(
  dataDir: string,
  path: string,
  onOpen: (s: Socket) => void,
): Promise<{ status: number; frames: Map<number, string> }> {
  return new Promise((resolve, reject) => {
    const req = request({
      socketPath: socketPath(dataDir),
      path,
      method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: 'corral-exec' },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, frames: new Map([[0, body]]) }));
    });
    req.on('error', reject);
    req.on('upgrade', (_res, s: Socket, head: Buffer) => {
      // What came with the 101 (maybe every frame of a short command) is read as data first.
      if (head.length) s.unshift(head);
      const frames = new Map<number, string>();
      let buf = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 5 && buf.length >= 5 + buf.readUInt32BE(1)) {
          const n = buf.readUInt32BE(1);
          frames.set(buf[0]!, (frames.get(buf[0]!) ?? '') + buf.subarray(5, 5 + n).toString());
          buf = buf.subarray(5 + n);
        }
      });
      s.on('close', () => resolve({ status: 101, frames }));
      onOpen(s);
    });
    req.end();
  });
}

async function agentWith(t: Parameters<typeof nodeInstance>[0], pods: Record<string, string>) {
  const n = nodeInstance(t);
  await n.agent.start();
  const server = await serve(n.agent);
  t.after(() => void server.close());
  for (const [name, cmd] of Object.entries(pods)) n.write(`${name}.yaml`, POD(name, cmd));
  for (const name of Object.keys(pods))
    await waitFor(`pod ${name} running`, () => !!n.agent.worker(name)?.running('main'), 60_000);
  return n;
}

test('node exec -it: a pty of its own with the caller terminal size', opts, async (t) => {
  const n = await agentWith(t, { p: 'sleep 3600' });
  const cli = `${process.execPath} ${MAIN} --data-dir ${n.dataDir} node exec -it p -- sh -c ${q('tty; stty size; exit 3')}`;
  const r = await execProgram(
    'sh',
    ['-c', `true | script -q -e -c ${q(`stty rows 40 cols 100; ${cli}`)} /dev/null`],
    {
      timeoutMs: 60_000,
    },
  );
  const out = r.stdout.replace(/\r/g, '');
  assert.equal(r.code, 3, r.stderr + out);
  assert.match(out, /(?:^|\^@)\/dev\/pts\/\d+$/m);
  assert.match(out, /^(?:\^@)?40 100$/m); // script may echo its ^@ first
  // without -t the same command has no terminal
  const plain = await execProgram(
    process.execPath,
    [MAIN, '--data-dir', n.dataDir, 'node', 'exec', 'p', '--', 'sh', '-c', 'tty; true'],
    { timeoutMs: 60_000 },
  );
  assert.equal(plain.stdout, 'not a tty\n');
});

test('endpoint exec tty=1: initial size, resize frame, stdin frames, exit code', opts, async (t) => {
  const n = await agentWith(t, { p: 'sleep 3600' });
  const cmd = JSON.stringify(['sh', '-c', 'stty size; read x; stty size; echo "x=$x"; exit 5']);
  const qs = new URLSearchParams({
    pod: 'p',
    container: 'main',
    cmd,
    tty: '1',
    stdin: '1',
    rows: '20',
    cols: '30',
  });
  const r = await upgrade(n.dataDir, `/exec?${qs}`, (s) => {
    setTimeout(() => {
      s.write(frame(4, '33 77'));
      s.write(frame(0, 'go\r'));
    }, 1500);
  });
  assert.equal(r.status, 101, r.frames.get(0));
  const out = (r.frames.get(1) ?? '').replace(/\r/g, '');
  assert.match(out, /^20 30\n/);
  assert.match(out, /^(?:\^@)?33 77$/m);
  assert.match(out, /^(?:\^@)?x=go$/m);
  assert.equal(r.frames.get(2), undefined); // a terminal has one output stream
  assert.equal(r.frames.get(3), '5');
});

test('endpoint attach: output from now on until the container exits; no stdin', opts, async (t) => {
  const n = await agentWith(t, {
    talker: 'echo before; sleep 4; echo one; echo two >&2; sleep 1; exit 4',
  });
  const refused = await upgrade(n.dataDir, '/attach?pod=talker&container=main&stdin=1', () => undefined);
  assert.equal(refused.status, 404);
  assert.match(refused.frames.get(0)!, /does not keep a container's stdin open.*attach without -i/);
  const r = await upgrade(n.dataDir, '/attach?pod=talker&container=main', () => undefined);
  assert.equal(r.status, 101);
  assert.equal(r.frames.get(1), 'one\n'); // not "before": attach starts at the log's end
  assert.equal(r.frames.get(2), 'two\n');
  assert.equal(r.frames.get(3), '4');
});
