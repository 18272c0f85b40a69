// The cgroup factory: detect the host's layout from the mount table and build the driver.
// Corral's cgroups live below the cgroup the caller was started in (per hierarchy on v1), in
// `<own>/corral` unless `root` says otherwise.
import { posix } from 'node:path';
import { helperPath } from '../helper-path.js';
import { detectLayout, dirOf, type CgroupLayout } from './mountinfo.js';
import { CgroupError, type CgroupDriver, type CgroupManager } from './types.js';
import { V1Manager } from './v1/manager.js';
import { V2Manager } from './v2/manager.js';
import { joinClean } from '../../util/join-clean.js';

export * from './types.js';
export {
  sharesToWeight,
  sharesToWeightLinear,
  weightToSharesLinear,
  milliCPUToShares,
  milliCPUToQuota,
  swapToV2,
  MIN_SHARES,
  MAX_SHARES,
  QUOTA_PERIOD_USEC,
  MIN_QUOTA_USEC,
} from './convert.js';
export { detectLayout, type CgroupLayout } from './mountinfo.js';
export { deviceFilterProgram, encodeProgram } from './v2/devices-ebpf.js';

export const DEFAULT_ROOT = 'corral';
/** The leaf a supervising process moves itself into when its cgroup must become an inner node (v2). */
export const SUPERVISOR_LEAF = 'supervisor';

export interface CgroupOptions {
  /**
   * Corral's cgroup root. Relative (default `corral`): below the caller's own cgroup, in each
   * hierarchy. Absolute: that path from each hierarchy's mount point.
   */
  root?: string;
  /** corral-helper binary (default: native/corral-helper of this checkout, or $CORRAL_HELPER). */
  helper?: string;
  /** For tests: a layout instead of the one of this process. */
  layout?: CgroupLayout;
}

const V1_KEYS = [
  'cpu',
  'cpuacct',
  'cpuset',
  'memory',
  'devices',
  'freezer',
  'blkio',
  'pids',
  'hugetlb',
  'net_cls',
  'net_prio',
  'rdma',
  'misc',
];

function resolveRoot(own: string, root: string): string {
  return root.startsWith('/') ? posix.normalize(root) : joinClean(own, root);
}

/** Our own cgroup, seen past the supervisor leaf we may have moved into (v2). */
function ownBase(own: string, root: string): string {
  const sup = `/${posix.normalize(root)}/${SUPERVISOR_LEAF}`;
  if (!root.startsWith('/') && own.endsWith(sup)) return own.slice(0, -sup.length) || '/';
  return own;
}

export function openCgroups(opts: CgroupOptions = {}): CgroupDriver {
  const layout = opts.layout ?? detectLayout();
  const rootOpt = opts.root ?? DEFAULT_ROOT;
  const helper = opts.helper ?? helperPath();
  if (rootOpt.split('/').includes('..'))
    throw new CgroupError(`--cgroup-root: ${rootOpt}: must not contain ..`, 'root', rootOpt);
  const place = (base: string, cgroupsPath: string): string =>
    cgroupsPath.startsWith('/') ? posix.normalize(cgroupsPath) : joinClean(base, cgroupsPath);
  const checkPath = (p: string): void => {
    if (!p || p.split('/').includes('..'))
      throw new CgroupError(`cgroupsPath: ${p}: must be a path without ..`, 'cgroupsPath', p);
  };

  /** `dir`'s path from `mount`'s mount point; a clear error when it is not below it. */
  const below = (key: string, dir: string | undefined, mount: string | undefined): string => {
    const d = dir === undefined ? '' : posix.normalize(dir);
    if (
      !mount ||
      !d.startsWith('/') ||
      dir!.split('/').includes('..') ||
      !(d === mount || d.startsWith(mount + '/'))
    )
      throw new CgroupError(
        `cgroup dirs: ${key}: ${dir ?? '(missing)'}: not a directory below this host's ${key} hierarchy${mount ? ` (${mount})` : ''}`,
        'cgroupDirs',
        dir,
      );
    return '/' + d.slice(mount.length).replace(/^\/+/, '');
  };

  if (layout.mode === 'v2') {
    const mount = layout.unified!;
    const own = ownBase(layout.own.get('unified') ?? '/', rootOpt);
    const root = resolveRoot(own, rootOpt);
    const v2 = (path: string): CgroupManager =>
      new V2Manager(path, {
        mountPoint: mount.mountPoint,
        ownPath: own,
        supervisorPath: joinClean(root, SUPERVISOR_LEAF),
        helper,
      });
    return {
      mode: 'v2',
      root,
      manager(cgroupsPath: string): CgroupManager {
        checkPath(cgroupsPath);
        return v2(place(root, cgroupsPath));
      },
      open(dirs: Record<string, string>): CgroupManager {
        for (const key of Object.keys(dirs))
          if (key !== 'unified')
            throw new CgroupError(
              `cgroup dirs: ${key}: a v1 hierarchy, but this host is cgroup v2`,
              'cgroupDirs',
              key,
            );
        return v2(below('unified', dirs.unified, mount.mountPoint));
      },
    };
  }

  const roots: Record<string, string> = {};
  const mounts: Record<string, string> = {};
  for (const key of V1_KEYS) {
    const m = layout.v1.get(key);
    if (!m) continue;
    roots[key] = resolveRoot(layout.own.get(key) ?? '/', rootOpt);
    mounts[key] = m.mountPoint;
  }
  if (layout.unified) {
    roots.unified = resolveRoot(layout.own.get('unified') ?? '/', rootOpt);
    mounts.unified = layout.unified.mountPoint;
  }
  const primary = roots.memory ?? roots.cpu ?? Object.values(roots)[0] ?? '/';
  return {
    mode: 'v1',
    root: primary,
    manager(cgroupsPath: string): CgroupManager {
      checkPath(cgroupsPath);
      const dirs: Record<string, string> = {};
      for (const [key, r] of Object.entries(roots)) {
        const m = key === 'unified' ? layout.unified! : layout.v1.get(key)!;
        dirs[key] = dirOf(m, place(r, cgroupsPath));
      }
      return new V1Manager(place(primary, cgroupsPath), { dirs, mounts, helper });
    },
    open(recorded: Record<string, string>): CgroupManager {
      const dirs: Record<string, string> = {};
      let path: string | undefined;
      let pathKey = '';
      for (const [key, dir] of Object.entries(recorded)) {
        const rel = below(key, dir, mounts[key]);
        dirs[key] = joinClean(mounts[key]!, rel);
        if (key === 'unified') continue;
        // As manager() reports it: the path in the (primary) hierarchy, mount root included.
        const m = layout.v1.get(key)!;
        const inHierarchy = m.root === '/' ? rel : joinClean(m.root, rel);
        const rank = (k: string): number => (k === 'memory' ? 0 : k === 'cpu' ? 1 : 2);
        if (path === undefined || rank(key) < rank(pathKey)) [path, pathKey] = [inHierarchy, key];
      }
      if (Object.keys(dirs).length === 0) throw new CgroupError('cgroup dirs: none recorded', 'cgroupDirs');
      return new V1Manager(path ?? below('unified', dirs.unified, mounts.unified), { dirs, mounts, helper });
    },
  };
}
