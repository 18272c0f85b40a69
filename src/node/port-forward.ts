// TCP connections to 127.0.0.1:PORT inside a pod's network namespace, for port-forward.
//
// Node cannot setns(2), so a small relay runs there: `nsenter --net=/proc/<pause>/ns/net node -e`
// with the script below, one per pod, started on the first forwarded connection (a process start
// costs ~200 ms; a connection through a running relay costs a round trip). nsenter changes only
// the network namespace, so the relay listens on a unix socket in our data directory. Per
// connection it reads "PORT\n", connects, answers "ok\n" (then the bytes flow both ways, each
// direction half-closed on its own) or "error: MESSAGE\n".
// The relay ends when the agent does (its stdin closes), when the pod's pause process is gone, or
// after a minute without connections, so it never outlives the pod it serves by more than a moment.
// A hostNetwork pod shares our namespace: the agent connects itself.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';

const RELAY = `
const net = require('node:net');
const fs = require('node:fs');
const [path, pausePid] = process.argv.slice(1);
let open = 0;
let idleSince = Date.now();
const bye = () => { try { fs.rmSync(path, { force: true }); } catch {} process.exit(0); };
const srv = net.createServer({ allowHalfOpen: true }, (c) => {
  open++;
  c.on('close', () => { if (--open === 0) idleSince = Date.now(); });
  c.on('error', () => c.destroy());
  let head = '';
  const onHead = (d) => {
    head += d.toString('latin1');
    const nl = head.indexOf('\\n');
    if (nl < 0) { if (head.length > 16) c.destroy(); return; }
    c.off('data', onHead);
    c.pause();
    const rest = Buffer.from(head.slice(nl + 1), 'latin1');
    const s = net.connect({ port: Number(head.slice(0, nl)), host: '127.0.0.1', allowHalfOpen: true });
    let up = false;
    s.on('error', (e) => { if (!up) c.end('error: ' + e.message + '\\n'); else c.destroy(); });
    s.on('connect', () => {
      up = true;
      c.write('ok\\n');
      if (rest.length) s.write(rest);
      c.pipe(s);
      s.pipe(c);
      c.resume();
    });
    // A side that closed cleanly has ended the other through pipe(), which still flushes what it
    // holds: destroying it here would cut the stream's tail. Only a broken side breaks the other.
    c.on('close', (broken) => { if (broken) s.destroy(); });
    s.on('close', (broken) => { if (broken) c.destroy(); });
  };
  c.on('data', onHead);
});
fs.rmSync(path, { force: true });
srv.listen(path, () => process.stderr.write('ok\\n'));
process.stdin.on('end', bye);
process.stdin.on('error', bye);
process.stdin.resume();
setInterval(() => {
  try { process.kill(Number(pausePid), 0); } catch { bye(); }
  if (open === 0 && Date.now() - idleSince > 60000) bye();
}, 1000).unref();
`;

const relays = new Map<string, Promise<string>>();

/** Start (or reuse) the relay for the netns of `pid`; resolves with its socket path. */
function relayFor(dir: string, pid: number): Promise<string> {
  const path = join(dir, `portforward-${pid}.sock`);
  const known = relays.get(path);
  if (known) return known;
  const started = new Promise<string>((resolve, reject) => {
    const child = spawn(
      'nsenter',
      [`--net=/proc/${pid}/ns/net`, '--', process.execPath, '-e', RELAY, path, String(pid)],
      {
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.startsWith('ok\n')) resolve(path);
    });
    child.once('error', (e) => reject(new Error(`cannot start the port-forward relay: ${e.message}`)));
    child.once('exit', () => {
      relays.delete(path);
      rmSync(path, { force: true });
      reject(new Error(err.trim() || 'the port-forward relay ended'));
    });
    // Our end of its stdin: when this process goes, the relay goes.
    child.stdin.on('error', () => undefined);
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
  });
  relays.set(path, started);
  started.catch(() => relays.delete(path));
  return started;
}

/** Connect through a socket (unix `path`, or TCP `port` on our loopback); the relay's answer first. */
function dial(target: { path: string } | { port: number }, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const direct = 'port' in target;
    const s = direct
      ? connect({ port: target.port, host: '127.0.0.1', allowHalfOpen: true })
      : connect({ path: target.path, allowHalfOpen: true });
    s.once('error', reject);
    s.once('connect', () => {
      if (direct) return resolve(s);
      s.write(`${port}\n`);
      let head = '';
      const onHead = (d: Buffer) => {
        head += d.toString('latin1');
        const nl = head.indexOf('\n');
        if (nl < 0) return;
        s.off('data', onHead);
        s.pause();
        const rest = Buffer.from(head.slice(nl + 1), 'latin1');
        if (rest.length) s.unshift(rest);
        if (head.startsWith('ok\n')) resolve(s);
        else {
          s.destroy();
          reject(new Error(head.slice(0, nl).replace(/^error: /, '')));
        }
      };
      s.on('data', onHead);
      s.once('end', () => reject(new Error('the port-forward relay closed the connection')));
    });
  });
}

/** Connect to `port` on the loopback of the network namespace of `netnsPid` (none: ours);
 *  `dir` holds the relays' sockets. */
export async function connectPodPort(
  dir: string,
  netnsPid: number | undefined,
  port: number,
): Promise<Socket> {
  if (netnsPid === undefined) return dial({ port }, port);
  try {
    return await dial({ path: await relayFor(dir, netnsPid) }, port);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ECONNREFUSED' && code !== 'ENOENT') throw e;
    // The relay ended (idle, or the agent restarted) since we last used it: start another.
    relays.delete(join(dir, `portforward-${netnsPid}.sock`));
    return dial({ path: await relayFor(dir, netnsPid) }, port);
  }
}
