// Which cgroup layout the host has, read from the mount table (/proc/self/mountinfo), and where
// the calling process sits in each hierarchy (/proc/self/cgroup).
import { readFileSync } from 'node:fs';
import { joinClean } from '../../util/join-clean.js';

export interface CgroupMount {
  /** Mount point, e.g. /sys/fs/cgroup/memory. */
  mountPoint: string;
  /** The mount's root inside the hierarchy (not "/" inside a cgroup namespace or bind mount). */
  root: string;
  /** v1 controllers (and `name=...`); empty for cgroup2. */
  controllers: string[];
  version: 1 | 2;
}

export interface CgroupLayout {
  /** v2: pure unified. v1: legacy or hybrid (v1 controllers, maybe an extra cgroup2 mount). */
  mode: 'v1' | 'v2';
  /** v1: controller name (and `name=systemd`) → mount; `unified` → the hybrid cgroup2 mount. */
  v1: Map<string, CgroupMount>;
  unified?: CgroupMount;
  /** The caller's own cgroup: hierarchy key (v1 controller, or `unified`) → path. */
  own: Map<string, string>;
}

/** Undo mountinfo's octal escapes (\040 for space ...). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    const fstype = post[0];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const root = unescape(pre[3] ?? '/');
    const mountPoint = unescape(pre[4] ?? '');
    const superOpts = (post[2] ?? '').split(',');
    const controllers =
      fstype === 'cgroup'
        ? superOpts.filter((o) => !['rw', 'ro'].includes(o) && (!o.includes('=') || o.startsWith('name=')))
        : [];
    mounts.push({ mountPoint, root, controllers, version: fstype === 'cgroup2' ? 2 : 1 });
  }
  return mounts;
}

/** /proc/self/cgroup → hierarchy key → path (`unified` for the `0::` line). */
export function parseProcCgroup(text: string): Map<string, string> {
  const own = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, id, ctrls, path] = m as unknown as [string, string, string, string];
    if (id === '0' && ctrls === '') own.set('unified', path);
    else for (const c of ctrls.split(',')) if (c) own.set(c, path);
  }
  return own;
}

export function detectLayout(
  mountinfo = readFileSync('/proc/self/mountinfo', 'utf8'),
  procCgroup = readFileSync('/proc/self/cgroup', 'utf8'),
): CgroupLayout {
  const mounts = parseMountinfo(mountinfo);
  const v1 = new Map<string, CgroupMount>();
  let unified: CgroupMount | undefined;
  for (const m of mounts) {
    if (m.version === 2) {
      // Prefer /sys/fs/cgroup (pure v2), else the first one (hybrid: /sys/fs/cgroup/unified).
      if (!unified || m.mountPoint === '/sys/fs/cgroup') unified = m;
    } else {
      for (const c of m.controllers) if (!v1.has(c)) v1.set(c, m);
    }
  }
  const hasV1Controllers = [...v1.keys()].some((c) => !c.startsWith('name='));
  const mode = hasV1Controllers ? 'v1' : 'v2';
  if (mode === 'v2' && !unified)
    throw new Error('no cgroup filesystem is mounted (see /proc/self/mountinfo)');
  return { mode, v1, unified, own: parseProcCgroup(procCgroup) };
}

/** The directory of cgroup `path` (relative to the hierarchy root) on mount `m`. */
export function dirOf(m: CgroupMount, path: string): string {
  let rel = path;
  // Paths in /proc/self/cgroup are relative to the hierarchy; the mount may show a subtree.
  if (m.root !== '/' && (rel === m.root || rel.startsWith(m.root + '/'))) rel = rel.slice(m.root.length);
  return joinClean(m.mountPoint, rel.replace(/^\/+/, ''));
}
