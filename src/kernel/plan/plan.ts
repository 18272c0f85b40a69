// The plan: what TypeScript decided, in the records the C helper executes.
// The format and the meaning of every record are specified in native/PLAN.md.

export type NamespaceType = 'user' | 'mnt' | 'pid' | 'net' | 'ipc' | 'uts' | 'cgroup' | 'time';

export type CapabilitySet = 'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient';

export interface HookSpec {
  path: string;
  args: string[];
  env: string[];
  timeoutSecs: number;
}

export type PlanRecord =
  | { op: 'ns-join'; type: NamespaceType; path: string }
  | { op: 'ns-new'; type: NamespaceType }
  | { op: 'uidmap' | 'gidmap'; containerId: number; hostId: number; size: number }
  | { op: 'setgroups'; value: 'allow' | 'deny' }
  | { op: 'timens-offset'; clock: 'monotonic' | 'boottime'; secs: number; nsecs: number }
  | { op: 'detach'; value: boolean }
  | { op: 'exit-status-file'; path: string }
  | { op: 'seccomp-bpf'; path: string }
  | { op: 'seccomp-flags'; flags: number }
  | { op: 'oom-score-adj'; value: number }
  | { op: 'hostname' | 'domainname'; name: string }
  | { op: 'rootfs-propagation'; flags: number }
  | { op: 'rootfs'; path: string }
  /** Mounted onto the rootfs in the container's mount namespace, before the rootfs bind. */
  | { op: 'rootfs-mount'; source: string; fstype: string; data: string }
  | {
      op: 'mount';
      source: string;
      target: string;
      fstype: string;
      flags: number;
      propagation: number;
      data: string;
    }
  | { op: 'mkdir'; path: string; mode: number }
  | {
      op: 'device';
      path: string;
      type: 'c' | 'b' | 'p' | 'u';
      major: number;
      minor: number;
      mode: number;
      uid: number;
      gid: number;
    }
  | { op: 'device-bind'; path: string }
  | { op: 'symlink'; target: string; linkpath: string }
  | { op: 'sysctl'; key: string; value: string }
  | { op: 'hook'; stage: 'createContainer' | 'startContainer'; hook: HookSpec }
  | { op: 'pivot-root'; mode: 'pivot' | 'chroot' }
  | { op: 'masked-path' | 'readonly-path'; path: string }
  | { op: 'rootfs-readonly' }
  | { op: 'loopback-up' }
  | { op: 'prestart-wait' }
  | { op: 'in-place' }
  | { op: 'pause' }
  | { op: 'cgroup-procs'; path: string; required: boolean }
  | { op: 'rlimit'; resource: number; soft: bigint | -1; hard: bigint | -1 }
  | { op: 'console-socket'; path: string }
  | { op: 'terminal-relay'; rows: number; cols: number; stdin: boolean }
  | { op: 'preserve-fds'; count: number }
  | { op: 'exec-fifo'; path: string }
  | { op: 'user'; uid: number; gid: number }
  | { op: 'groups'; gids: number[] }
  | { op: 'umask'; mask: number }
  | { op: 'cwd'; path: string }
  | { op: 'caps'; set: CapabilitySet; mask: bigint }
  | { op: 'no-new-privs' }
  | { op: 'env'; value: string }
  | { op: 'arg'; value: string };

export type Plan = PlanRecord[];

const NEEDS_ESCAPE = /[\\\t\n]/;

/** Escape one field: backslash, tab and newline become \\, \t, \n. */
export function escapeField(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s; // nearly every field: no copy
  return s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
}

export function unescapeField(s: string): string {
  return s.replace(/\\(\\|t|n)/g, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : '\\'));
}

export function encodeLine(fields: (string | number | bigint)[]): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    line += (i ? '\t' : '') + (typeof f === 'string' ? escapeField(f) : String(f));
  }
  return line + '\n';
}

export function decodeLine(line: string): string[] {
  return line.split('\t').map(unescapeField);
}

function fields(r: PlanRecord): (string | number | bigint)[] {
  switch (r.op) {
    case 'ns-join':
      return [r.op, r.type, r.path];
    case 'ns-new':
      return [r.op, r.type];
    case 'uidmap':
    case 'gidmap':
      return [r.op, r.containerId, r.hostId, r.size];
    case 'setgroups':
      return [r.op, r.value];
    case 'timens-offset':
      return [r.op, r.clock, r.secs, r.nsecs];
    case 'detach':
      return [r.op, r.value ? 1 : 0];
    case 'exit-status-file':
    case 'seccomp-bpf':
    case 'rootfs':
    case 'device-bind':
    case 'masked-path':
    case 'readonly-path':
    case 'console-socket':
    case 'exec-fifo':
    case 'cwd':
      return [r.op, r.path];
    case 'seccomp-flags':
      return [r.op, r.flags];
    case 'oom-score-adj':
      return [r.op, r.value];
    case 'hostname':
    case 'domainname':
      return [r.op, r.name];
    case 'rootfs-propagation':
      return [r.op, r.flags];
    case 'rootfs-mount':
      return [r.op, r.source, r.fstype, r.data];
    case 'mount':
      return [r.op, r.source, r.target, r.fstype, r.flags, r.propagation, r.data];
    case 'mkdir':
      return [r.op, r.path, r.mode.toString(8)];
    case 'device':
      return [r.op, r.path, r.type, r.major, r.minor, r.mode.toString(8), r.uid, r.gid];
    case 'symlink':
      return [r.op, r.target, r.linkpath];
    case 'sysctl':
      return [r.op, r.key, r.value];
    case 'hook':
      return [
        r.op,
        r.stage,
        r.hook.timeoutSecs,
        r.hook.path,
        r.hook.args.length,
        ...r.hook.args,
        r.hook.env.length,
        ...r.hook.env,
      ];
    case 'pivot-root':
      return [r.op, r.mode];
    case 'rootfs-readonly':
    case 'loopback-up':
    case 'prestart-wait':
    case 'in-place':
    case 'pause':
    case 'no-new-privs':
      return [r.op];
    case 'rlimit':
      return [r.op, r.resource, r.soft, r.hard];
    case 'preserve-fds':
      return [r.op, r.count];
    case 'cgroup-procs':
      return [r.op, r.path, r.required ? 1 : 0];
    case 'terminal-relay':
      return [r.op, r.rows, r.cols, r.stdin ? 1 : 0];
    case 'user':
      return [r.op, r.uid, r.gid];
    case 'groups':
      return [r.op, r.gids.join(',')];
    case 'umask':
      return [r.op, r.mask.toString(8)];
    case 'caps':
      return [r.op, r.set, r.mask.toString(16)];
    case 'env':
    case 'arg':
      return [r.op, r.value];
  }
}

/** The plan as the helper reads it: `version 1`, the records, `end`. */
export function encodePlan(plan: Plan): string {
  return encodeLine(['version', 1]) + plan.map((r) => encodeLine(fields(r))).join('') + encodeLine(['end']);
}
