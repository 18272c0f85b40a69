// A private "node" for NetworkPolicy tests: a network namespace with a bridge (10.77.0.1/24,
// fd77::1/64) and "pod" namespaces attached by veth pairs, each running busybox nc servers.
// Only `ip` and busybox, no CNI. destroy() kills the servers and deletes every namespace, and
// runs even when creation failed half-way.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

export const isRoot = process.getuid?.() === 0;
export const BUSYBOX = '/bin/busybox';
export const canRun = isRoot && existsSync(BUSYBOX) && existsSync('/usr/sbin/nft');

export interface TestPod {
  name: string;
  netns: string;
  ip4: string;
  ip6: string;
  ports: number[];
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });

export class TestNode {
  readonly netns: string;
  readonly path: string;
  readonly pods = new Map<string, TestPod>();
  private readonly servers: ChildProcess[] = [];
  private readonly prefix: string;

  constructor(tag = 'npt') {
    this.prefix = `${tag}-${process.pid}`;
    this.netns = `${tag}-node-${process.pid}`;
    this.path = `/run/netns/${this.netns}`;
  }

  /** Creates the node namespace with its bridge. */
  create(): this {
    ip('netns', 'add', this.netns);
    const n = (...a: string[]) => ip('-n', this.netns, ...a);
    n('link', 'set', 'lo', 'up');
    n('link', 'add', 'br0', 'type', 'bridge');
    n('addr', 'add', '10.77.0.1/24', 'dev', 'br0');
    n('addr', 'add', 'fd77::1/64', 'dev', 'br0', 'nodad');
    n('link', 'set', 'br0', 'up');
    return this;
  }

  /** Adds pod `name` with address 10.77.0.<host> / fd77::<host> and nc servers on `ports`. */
  addPod(name: string, host: number, ports: number[]): TestPod {
    const netns = `${this.prefix}-${name}`;
    const veth = `vh${host}`;
    const ip4 = `10.77.0.${host}`;
    const ip6 = `fd77::${host}`;
    ip('netns', 'add', netns);
    const pod: TestPod = { name, netns, ip4, ip6, ports };
    this.pods.set(name, pod);
    ip('-n', this.netns, 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
    ip('-n', this.netns, 'link', 'set', veth, 'master', 'br0', 'up');
    const p = (...a: string[]) => ip('-n', netns, ...a);
    p('link', 'set', 'lo', 'up');
    p('addr', 'add', `${ip4}/24`, 'dev', 'eth0');
    p('addr', 'add', `${ip6}/64`, 'dev', 'eth0', 'nodad');
    p('link', 'set', 'eth0', 'up');
    p('route', 'add', 'default', 'via', '10.77.0.1');
    for (const port of ports) {
      // -ll -e: a persistent server that answers every connection with the pod's name.
      const child = spawn(
        'ip',
        ['netns', 'exec', netns, BUSYBOX, 'nc', '-ll', '-p', String(port), '-e', 'echo', name],
        {
          stdio: 'ignore',
        },
      );
      this.servers.push(child);
    }
    return pod;
  }

  pod(name: string): TestPod {
    const p = this.pods.get(name);
    if (!p) throw new Error(`no test pod ${name}`);
    return p;
  }

  /** Waits until every server answers from the node (no policy applies to the node). */
  async ready(): Promise<void> {
    const end = Date.now() + 5000;
    for (const pod of this.pods.values())
      for (const port of pod.ports) {
        while ((await connect(this.netns, pod.ip4, port)) !== pod.name) {
          if (Date.now() > end) throw new Error(`server ${pod.name}:${port} did not come up`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
  }

  /** The nftables tables in the node namespace, as `family name` lines. */
  tables(): string[] {
    return execFileSync('ip', ['netns', 'exec', this.netns, 'nft', 'list', 'tables'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.replace(/^table /, '').trim())
      .filter(Boolean);
  }

  async destroy(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (c) =>
          new Promise<void>((res) => {
            if (c.exitCode !== null || c.signalCode !== null) return res();
            c.once('exit', () => res());
            c.kill('SIGKILL');
          }),
      ),
    );
    // Deleting the node namespace also removes its bridge, veths and nft tables.
    for (const ns of [...[...this.pods.values()].map((p) => p.netns), this.netns])
      if (existsSync(`/run/netns/${ns}`)) ip('netns', 'del', ns);
  }
}

/**
 * Opens a TCP connection from network namespace `netns` to ip:port with busybox nc and returns
 * what the server said ('' when the connection failed or timed out after `timeoutS` seconds).
 */
export function connect(netns: string, addr: string, port: number, timeoutS = 1): Promise<string> {
  return new Promise((resolve) => {
    const c = spawn(
      'ip',
      ['netns', 'exec', netns, BUSYBOX, 'nc', '-w', String(timeoutS), addr, String(port)],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('close', () => resolve(out.trim()));
    c.on('error', () => resolve(''));
  });
}
