// Where peers may put their cgroups on this machine: below the cgroup this process was started
// in, in every hierarchy. On v1/hybrid each controller has its own path in /proc/self/cgroup
// (here memory is /process_api/<id>, the others "/"); runc and crun apply one absolute
// linux.cgroupsPath to every hierarchy, so the path must lie below our own cgroup in all of them.
// Seen here: runc 1.1.5 creates it in every v1 hierarchy, name=systemd and the cgroup2 mount at
// /sys/fs/cgroup/unified (and removes the leaf on delete, not the parents it made); crun 1.8
// behind the workaround in crun.ts sees no cgroup2 mount and uses the v1 hierarchies only;
// podman --cgroup-manager cgroupfs puts conmon in <cgroup-parent>/conmon and each container in
// <cgroup-parent>/libpod-<id>.
import { readFileSync, readdirSync, rmdirSync, existsSync } from 'node:fs';
import { join, posix } from 'node:path';

interface CgroupLine {
  controllers: string[]; // [''] for the v2 line "0::/path"
  path: string;
}

function selfCgroups(): CgroupLine[] {
  return readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, ctl = '', ...rest] = line.split(':');
      return { controllers: ctl.split(','), path: rest.join(':') };
    });
}

/** Our own cgroup for `controller` ('memory', 'pids', 'name=systemd'; '' for the cgroup2 line). */
export function ownCgroupPath(controller: string): string {
  const line = selfCgroups().find((l) => l.controllers.includes(controller));
  if (!line) throw new Error(`/proc/self/cgroup has no line for controller "${controller}"`);
  return line.path;
}

/**
 * An absolute cgroupsPath below our own cgroup in every hierarchy: the deepest of our paths,
 * then `segments`. Throws if our paths are not nested (then no single path fits all).
 */
export function nestedCgroupsPath(...segments: string[]): string {
  const paths = selfCgroups().map((l) => l.path);
  const deepest = paths.reduce((a, b) => (b.length > a.length ? b : a), '/');
  for (const p of paths) {
    if (!(p === '/' || deepest === p || deepest.startsWith(p + '/'))) {
      throw new Error(`own cgroups are not nested (${p} vs ${deepest}); no single cgroupsPath is below all`);
    }
  }
  return posix.join(deepest, ...segments);
}

interface CgroupMount {
  mountPoint: string;
  root: string; // the cgroup path the mount shows (/ unless in a cgroup namespace)
}

/** Every mounted cgroup (v1) and cgroup2 hierarchy, from /proc/self/mountinfo. */
export function cgroupMounts(): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const fstype = post.split(' ')[0];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const f = pre.split(' ');
    out.push({ root: unescapeMountinfo(f[3] ?? '/'), mountPoint: unescapeMountinfo(f[4] ?? '') });
  }
  return out;
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The directories of cgroup `path` in every hierarchy where it exists. */
export function cgroupDirs(path: string): string[] {
  const dirs: string[] = [];
  for (const m of cgroupMounts()) {
    if (!(m.root === '/' || path === m.root || path.startsWith(m.root + '/'))) continue;
    const dir = join(m.mountPoint, m.root === '/' ? path : path.slice(m.root.length));
    if (existsSync(dir)) dirs.push(dir);
  }
  return dirs;
}

function procsIn(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Remove cgroup `path` and everything below it in every hierarchy. Processes still inside are
 * ours (only containers we started live there): SIGKILL them by PID first. Returns what could
 * not be removed.
 */
export async function removeCgroupTree(path: string, timeoutMs = 5000): Promise<string[]> {
  // Only a cgroup strictly below our own, never one that holds this process.
  const own = nestedCgroupsPath();
  const holdsUs = selfCgroups().some((l) => l.path === path || l.path.startsWith(path + '/'));
  if (!path.startsWith(own === '/' ? '/' : own + '/') || path === own || holdsUs) {
    throw new Error(`refusing to remove cgroup "${path}": not strictly below our own cgroup ${own}`);
  }
  const leftovers: string[] = [];
  for (const top of cgroupDirs(path)) {
    const order: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
      order.push(d); // children before parents
    };
    walk(top);
    for (const dir of order) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const pid of procsIn(dir)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
        try {
          rmdirSync(dir);
          break;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') break;
          if (Date.now() > deadline) {
            leftovers.push(`${dir} (${code})`);
            break;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  }
  return leftovers;
}

/**
 * crun 1.8 refuses a hybrid layout whose cgroup2 mount has controllers ("cgroups in hybrid mode
 * not supported, drop all controllers from cgroupv2"); here hugetlb sits on /sys/fs/cgroup/unified.
 */
export function crunNeedsUnifiedUnmounted(): boolean {
  const unified = cgroupMounts().find((m) => m.mountPoint === '/sys/fs/cgroup/unified');
  if (!unified) return false;
  try {
    return readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim() !== '';
  } catch {
    return false;
  }
}
