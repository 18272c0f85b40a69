// Shared by the root integration tests: a busybox bundle with a config tweaked per test, a
// private runtime root, and cleanup of everything on the way out (also when a test fails).
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempBundleDir } from '../support/busybox-rootfs.js';
import { removeCgroupTree } from '../support/cgroup-root.js';
import { defaultSpec } from '../../src/oci/defaults/spec-template.js';
import { Runtime } from '../../src/oci/runtime.js';
import type { Spec } from '../../src/oci/spec.js';

export const isRoot = process.getuid?.() === 0;

export interface TestBundle {
  dir: string;
  rootfs: string;
  spec: Spec;
  write(): void;
}

type After = { after: (fn: () => void | Promise<void>) => void };

export function bundle(t: After, args: string[], mutate?: (s: Spec) => void): TestBundle {
  const b = tempBundleDir('corral-oci-test-');
  t.after(() => b.cleanup());
  const spec = defaultSpec({ args, terminal: false });
  mutate?.(spec);
  const tb = {
    dir: b.dir,
    rootfs: b.rootfs,
    spec,
    write: () => writeFileSync(join(b.dir, 'config.json'), JSON.stringify(spec, null, 1)),
  };
  tb.write();
  return tb;
}

let seq = 0;
export function uniqueId(prefix = 'ct'): string {
  return `${prefix}-${process.pid}-${++seq}`;
}

/** A name for a cgroup root of the test's own (below our cgroup; removeCgroupTree removes it). */
export function privateCgroupRoot(): string {
  return `corral-oci-test-${process.pid}-${++seq}`;
}

/**
 * A Runtime with its own state root and cgroup root; afterwards every container it made is
 * force-deleted, then the cgroup root removed (t.after hooks run in the order they were added).
 */
export function runtime(t: After): Runtime {
  const root = mkdtempSync(join(tmpdir(), 'corral-oci-root-'));
  const cgroupRoot = privateCgroupRoot();
  const rt = new Runtime({ root, cgroupRoot });
  t.after(async () => {
    for (const id of rt.store.ids()) await rt.delete(id, { force: true }).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    await removeCgroupTree(cgroupRoot);
  });
  return rt;
}

/** A file to hand to the container as stdout/stderr; read() returns what it wrote. */
export function capture(t: After): { fd: number; read: () => string } {
  const dir = mkdtempSync(join(tmpdir(), 'corral-oci-out-'));
  const path = join(dir, 'out');
  const fd = openSync(path, 'w+');
  t.after(() => {
    try {
      closeSync(fd);
    } catch {
      /* closed */
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return { fd, read: () => readFileSync(path, 'utf8') };
}

/** Run `args` in a fresh container through the library; output and exit status. */
export async function runIn(
  t: After,
  args: string[],
  mutate?: (s: Spec) => void,
): Promise<{ out: string; code: number | undefined; bundle: TestBundle }> {
  const rt = runtime(t);
  const b = bundle(t, args, mutate);
  const out = capture(t);
  const code = await rt.run(uniqueId(), b.dir, { stdio: ['ignore', out.fd, out.fd] });
  return { out: out.read(), code, bundle: b };
}
