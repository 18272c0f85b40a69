// A private node agent for a test: its own data dir, manifests dir and cgroup root, all removed
// afterwards with every pod, pause process, mount and cgroup, also when the test fails.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeAgent, type AgentOptions } from '../../src/node/agent.js';
import { removeCgroupTree } from '../support/cgroup-root.js';
import { unmountBelow } from '../peers/podman.js';

export const isRoot = process.getuid?.() === 0;
type After = { after: (fn: () => void | Promise<void>) => void };

let seq = 0;

export interface NodeInstance {
  dataDir: string;
  manifests: string;
  cgroupRoot: string;
  agent: NodeAgent;
  write(name: string, yaml: string): void;
  remove(name: string): void;
}

export function nodeInstance(t: After, o: Partial<AgentOptions> = {}): NodeInstance {
  const base = mkdtempSync(join(tmpdir(), 'corral-node-'));
  const dataDir = join(base, 'data');
  const manifests = join(base, 'manifests');
  mkdirSync(manifests, { recursive: true });
  const cgroupRoot = `corral-node-test-${process.pid}-${++seq}`;
  const agent = new NodeAgent({
    dataDir,
    manifestsDir: manifests,
    cgroupRoot,
    backoffBaseMs: 300,
    rescanMs: 500,
    ...(process.env.CORRAL_NODE_DEBUG ? { log: (m: string) => console.error(m) } : {}),
    ...o,
  });
  t.after(async () => {
    await agent.shutdown({ stopPods: true }).catch(() => undefined);
    unmountBelow(base);
    await removeCgroupTree(cgroupRoot);
    rmSync(base, { recursive: true, force: true });
  });
  return {
    dataDir,
    manifests,
    cgroupRoot,
    agent,
    write: (name, yaml) => writeFileSync(join(manifests, name), yaml),
    remove: (name) => rmSync(join(manifests, name), { force: true }),
  };
}

export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function pod(agent: NodeAgent, name: string) {
  return agent.pods().find((p) => p.name === name);
}

/** All CRI log text of a container (every restart), message parts only. */
export function logText(dataDir: string, uid: string, ctr: string): string {
  const d = join(dataDir, 'pods', uid, ctr);
  if (!existsSync(d)) return '';
  return readdirSync(d)
    .sort()
    .map((f) => readFileSync(join(d, f), 'utf8'))
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ').slice(3).join(' '))
    .join('\n');
}

export function nsOf(pid: number, kind: string): string {
  return readlinkSync(`/proc/${pid}/ns/${kind}`);
}
