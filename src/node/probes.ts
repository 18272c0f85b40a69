// Probes: exec runs the command in the container through Runtime.exec (all its namespaces, its
// cgroup and security settings); httpGet and tcpSocket connect from inside the pod's network
// namespace: `nsenter --net=/proc/<pause>/ns/net` runs the host's busybox (wget / nc), so no
// tool is needed in the image and the check sees exactly what a peer in the pod sees. hostNetwork
// pods are checked from the agent directly. Every check is killed at timeoutSeconds.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { Runtime } from '../oci/runtime.js';
import type { Process } from '../oci/spec.js';
import type { Container, Probe } from './types.js';

export const HOST_BUSYBOX = process.env.CORRAL_BUSYBOX ?? '/bin/busybox';

export interface ProbeTarget {
  runtime: Runtime;
  containerId: string;
  /** The container's process template (user, env, caps...) for exec probes. */
  process: Process;
  container: Container;
  /** The pause process (pod netns) or undefined with hostNetwork. */
  netnsPid?: number;
}

export type ProbeResult = { ok: boolean; output: string };

function portOf(p: number | string, c: Container): number {
  if (typeof p === 'number') return p;
  if (/^\d+$/.test(p)) return Number(p);
  const named = c.ports?.find((x) => x.name === p);
  if (!named) throw new Error(`probe port "${p}" is not a named port of container ${c.name}`);
  return named.containerPort;
}

function runHost(args: string[], timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const child = spawn(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      if (out.length < 1024) out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ ok: false, output: `timeout after ${timeoutMs} ms` });
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(t);
      resolve({ ok: false, output: e.message });
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ ok: code === 0, output: out.slice(0, 1024) });
    });
  });
}

async function execProbe(t: ProbeTarget, cmd: string[], timeoutMs: number): Promise<ProbeResult> {
  let pid: number;
  try {
    const r = await t.runtime.exec(
      t.containerId,
      { ...t.process, args: cmd, terminal: false },
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    pid = r.pid;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((res) => (timer = setTimeout(res, timeoutMs, 'timeout')));
    const code = await Promise.race([r.exited!, timeout]);
    clearTimeout(timer);
    if (code === 'timeout') {
      try {
        process.kill(pid, 'SIGKILL'); // the exec'd process; its helper then reaps it and exits
      } catch {
        /* gone */
      }
      await r.exited;
      return { ok: false, output: `command timed out after ${timeoutMs} ms` };
    }
    return { ok: code === 0, output: `exit code ${code}` };
  } catch (e) {
    return { ok: false, output: (e as Error).message };
  }
}

function tcpFromHost(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: timeoutMs });
    s.once('connect', () => {
      s.destroy();
      resolve({ ok: true, output: '' });
    });
    s.once('timeout', () => {
      s.destroy();
      resolve({ ok: false, output: 'timeout' });
    });
    s.once('error', (e) => resolve({ ok: false, output: e.message }));
  });
}

export async function runProbe(p: Probe, t: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = Math.max(1, p.timeoutSeconds ?? 1) * 1000;
  if (p.exec) return execProbe(t, p.exec.command, timeoutMs);
  const ns = t.netnsPid ? ['nsenter', `--net=/proc/${t.netnsPid}/ns/net`] : [];
  if (p.httpGet) {
    const port = portOf(p.httpGet.port, t.container);
    const host = p.httpGet.host ?? '127.0.0.1';
    const url = `${(p.httpGet.scheme ?? 'HTTP').toLowerCase()}://${host}:${port}${p.httpGet.path ?? '/'}`;
    // busybox wget fails on HTTP status >= 400, as the kubelet counts 200-399 as success. No
    // -T and no -O /dev/null: Debian's static busybox 1.35 wget crashes with either; the
    // timeout is ours (SIGKILL).
    return runHost([...ns, HOST_BUSYBOX, 'wget', '-q', '-O', '-', url], timeoutMs);
  }
  if (p.tcpSocket) {
    const port = portOf(p.tcpSocket.port, t.container);
    const host = p.tcpSocket.host ?? '127.0.0.1';
    if (!ns.length) return tcpFromHost(host, port, timeoutMs);
    // busybox nc has no -z: connect and run true (exits at once); refused/unreachable fail.
    return runHost(
      [
        ...ns,
        HOST_BUSYBOX,
        'nc',
        '-w',
        String(Math.ceil(timeoutMs / 1000)),
        host,
        String(port),
        '-e',
        '/bin/true',
      ],
      timeoutMs,
    );
  }
  return { ok: false, output: 'probe has no handler (exec, httpGet or tcpSocket)' };
}
