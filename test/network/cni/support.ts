// A private network lab for the root tests: a "host" network namespace holding the bridge (so
// nothing touches the machine's own network), pod namespaces, and temp conf/cache/IPAM dirs. All
// of it, and any process started in it, is removed after the test even when it fails.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  CniRuntime,
  defaultNetworkConfig,
  ipamDataDir,
  type NetworkConfigList,
} from '../../../src/network/cni/index.js';

export const isRoot = process.getuid?.() === 0;
export const skip = !isRoot
  ? 'needs root'
  : !existsSync('/usr/lib/cni/bridge')
    ? 'needs /usr/lib/cni plugins'
    : false;

export function run(argv: string[], input?: string): string {
  return execFileSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    timeout: 20_000,
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Run in netns `name`; returns exit status and output instead of throwing. */
export function inNs(name: string, argv: string[]): { status: number; out: string } {
  try {
    return { status: 0, out: run(['ip', 'netns', 'exec', name, ...argv]) };
  } catch (e) {
    const x = e as { status?: number; stdout?: string; stderr?: string };
    return { status: x.status ?? -1, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
  }
}

export class NetLab {
  readonly dir: string;
  readonly confDir: string;
  readonly cacheDir: string;
  readonly dataDir: string;
  readonly bin: string;
  readonly host: string;
  readonly bridge: string;
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];

  constructor(
    t: TestContext,
    readonly tag: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `cnit-${tag}-`));
    this.confDir = join(this.dir, 'net.d');
    this.cacheDir = join(this.dir, 'cache');
    this.dataDir = join(this.dir, 'data');
    this.bin = join(this.dir, 'bin');
    mkdirSync(this.bin);
    this.host = this.netns('host');
    this.bridge = `ct${tag}${process.pid % 100000}`.slice(0, 15);
    inNs(this.host, ['ip', 'link', 'set', 'lo', 'up']);
    t.after(() => this.cleanup());
  }

  get hostPath(): string {
    return `/run/netns/${this.host}`;
  }

  /** A new network namespace; its name (the path is /run/netns/<name>). */
  netns(role: string): string {
    const name = `cnit-${this.tag}-${role}-${process.pid}`;
    run(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    return name;
  }

  deleteNetns(name: string): void {
    run(['ip', 'netns', 'del', name]);
  }

  runtime(timeoutMs?: number): CniRuntime {
    return new CniRuntime({
      confDir: this.confDir,
      cacheDir: this.cacheDir,
      binDirs: [this.bin, '/usr/lib/cni'],
      hostNetns: this.hostPath,
      timeoutMs,
    });
  }

  /** The default network on this lab's bridge and subnet, optionally with extra plugins appended. */
  network(subnet: string, o: { cniVersion?: string; append?: object[] } = {}): NetworkConfigList {
    const n = defaultNetworkConfig({
      name: `lab-${this.tag}`,
      bridge: this.bridge,
      subnet,
      dataDir: this.dataDir,
      cniVersion: o.cniVersion,
    });
    n.plugins.push(...((o.append ?? []) as NetworkConfigList['plugins']));
    return n;
  }

  /** host-local's leases for `net`: one file per allocated address. */
  leases(net: string): string[] {
    const d = join(ipamDataDir(this.dataDir), net);
    if (!existsSync(d)) return [];
    return readdirSync(d).filter((f) => /^[0-9a-f.:]+$/.test(f) && f.includes('.'));
  }

  /** A test plugin in this lab's bin dir (found before /usr/lib/cni). */
  plugin(name: string, script: string): void {
    const p = join(this.bin, name);
    writeFileSync(p, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  }

  /** Start a long-running process in netns `name`; killed at cleanup. */
  spawnIn(name: string, argv: string[]): ChildProcess {
    const c = spawn('ip', ['netns', 'exec', name, ...argv], { stdio: 'ignore' });
    this.children.push(c);
    return c;
  }

  hostLinks(): string[] {
    return run(['ip', 'netns', 'exec', this.host, 'ip', '-o', 'link', 'show'])
      .split('\n')
      .filter(Boolean)
      .map((l) => (l.split(': ')[1] ?? '').split('@')[0]!);
  }

  private cleanup(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const n of this.namespaces.reverse()) {
      try {
        run(['ip', 'netns', 'del', n]);
      } catch {
        // already deleted by the test
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Poll `f` until it returns a truthy value. */
export async function waitFor<T>(what: string, f: () => T | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
