// spec.containers[].tty: the container's process gets a terminal of its own (a pty the helper
// relays): stdin and stdout are a tty, TERM is set, its output reaches the log, and an attach with
// a tty (frames: 4 a window size, 0 stdin) sizes that terminal and types into it (echoed, as a
// terminal does).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { serve, socketPath } from '../../src/node/endpoint.js';
import { isRoot, logText, nodeInstance, pod, waitFor } from './support.js';

const skip = !isRoot && 'needs root';

const POD = `apiVersion: v1
kind: Pod
metadata: {name: term}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    stdin: true
    tty: true
    command: [sh, -c, '[ -t 0 ] && [ -t 1 ] && echo "tty:$(tty) term:$TERM size:$(stty size)"; read x; echo "got:$x size:$(stty size)"']
`;

const frame = (stream: number, text: string): Buffer => {
  const h = Buffer.alloc(5);
  h[0] = stream;
  h.writeUInt32BE(Buffer.byteLength(text), 1);
  return Buffer.concat([h, Buffer.from(text)]);
};

/** POST /attach?stdin=1&tty=1, then a size and `input` (the connection stays open). */
function attachWrite(dataDir: string, input: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const req = request({
      socketPath: socketPath(dataDir),
      path: '/attach?pod=term&container=main&stdin=1&tty=1',
      method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: 'corral-exec' },
    });
    req.on('error', reject);
    req.on('response', (res) => reject(new Error(`attach: HTTP ${res.statusCode}`)));
    req.on('upgrade', (_res, s: Socket) => {
      s.on('error', () => undefined);
      s.write(Buffer.concat([frame(4, '30 100'), frame(0, input)]), () => resolve(s));
    });
    req.end();
  });
}

test('a tty: true container runs on a terminal of its own; attach input reaches it', { skip }, async (t) => {
  const n = nodeInstance(t);
  n.write('term.yaml', POD);
  await n.agent.start();
  const server = await serve(n.agent);
  t.after(() => void server.close());
  const p = await waitFor(
    'term running',
    () => pod(n.agent, 'term')?.status.phase === 'Running' && pod(n.agent, 'term'),
  );
  await waitFor('the tty line', () => /tty:/.test(logText(n.dataDir, p.uid, 'main')));
  assert.match(logText(n.dataDir, p.uid, 'main'), /^tty:\/dev\/pts\/\d+ term:xterm size:24 80\r?$/m);
  const s = await attachWrite(n.dataDir, 'hello\n');
  t.after(() => s.destroy());
  await waitFor('exited', () => pod(n.agent, 'term')?.status.phase === 'Succeeded', 20_000);
  const log = logText(n.dataDir, p.uid, 'main');
  assert.match(log, /^hello\r?$/m, 'the terminal echoed the input');
  assert.match(log, /^got:hello size:30 100\r?$/m);
});
