// The Pod Security Standards' checks (k8s.io/pod-security-admission/policy), each returning
// upstream's reason and detail text. Order matters — messages list violations in it: baseline
// checks, then (baseline) the two baseline checks restricted replaces or (restricted) the
// restricted checks, each group in upstream's registration order.
import type { KObject } from '../resources/types.js';
import { containersOf, podSpec, type Container, type PodSpec } from './pod-resources.js';

export type Level = 'privileged' | 'baseline' | 'restricted';
export interface Violation {
  reason: string;
  detail: string;
}
type Check = (meta: KObject['metadata'], s: PodSpec) => Violation | undefined;

type SecurityContext = {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
  appArmorProfile?: { type?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string; level?: string };
  sysctls?: Array<{ name?: string }>;
};
const sc = (c: Container) => c.securityContext as SecurityContext | undefined;
const podSc = (s: PodSpec) => s.securityContext as SecurityContext | undefined;
const all = (s: PodSpec) => containersOf(s, true).map((x) => x.c);

const quote = (xs: string[]) => xs.map((x) => JSON.stringify(x)).join(', ');
const plural = (one: string, many: string, n: number) => (n === 1 ? one : many);
const containers = (names: string[]) => `${plural('container', 'containers', names.length)} ${quote(names)}`;
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();
const fail = (reason: string, detail: string): Violation => ({ reason, detail });

const CAPS_BASELINE = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE',
  'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]); // prettier-ignore
const SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]); // prettier-ignore
const SELINUX_TYPES = new Set([
  '',
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);
const SAFE_VOLUMES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

const appArmorProfile: Check = (meta, s) => {
  const bad: string[] = [];
  const prefix = 'container.apparmor.security.beta.kubernetes.io/';
  for (const [k, v] of Object.entries(meta.annotations ?? {}))
    if (k.startsWith(prefix) && v !== '' && v !== 'runtime/default' && !v.startsWith('localhost/'))
      bad.push(`${k}=${JSON.stringify(v)}`);
  const badField = (p: SecurityContext | undefined) =>
    p?.appArmorProfile?.type !== undefined &&
    !['RuntimeDefault', 'Localhost'].includes(p.appArmorProfile.type);
  if (badField(podSc(s))) bad.push(`pod must not set securityContext.appArmorProfile.type to "Unconfined"`);
  for (const c of all(s))
    if (badField(sc(c)))
      bad.push(
        `container ${JSON.stringify(c.name ?? '')} must not set securityContext.appArmorProfile.type to "Unconfined"`,
      );
  if (!bad.length) return undefined;
  return fail(
    plural('forbidden AppArmor profile', 'forbidden AppArmor profiles', bad.length),
    bad.sort().join(', '),
  );
};

const hostNamespaces: Check = (_m, s) => {
  const on = (['hostIPC', 'hostNetwork', 'hostPID'] as const)
    .filter((k) => s[k] === true)
    .map((k) => `${k}=true`);
  return on.length ? fail('host namespaces', on.join(', ')) : undefined;
};

const hostPathVolumes: Check = (_m, s) => {
  const vols = ((s.volumes ?? []) as Array<{ name?: string; hostPath?: unknown }>).filter((v) => v.hostPath);
  const names = vols.map((v) => v.name ?? '');
  return names.length
    ? fail('hostPath volumes', `${plural('volume', 'volumes', names.length)} ${quote(names)}`)
    : undefined;
};

const hostPorts: Check = (_m, s) => {
  const bad: string[] = [];
  const ports = new Set<string>();
  for (const c of all(s)) {
    const hp = (c.ports ?? []).filter((p) => p.hostPort).map((p) => String(p.hostPort));
    if (hp.length) bad.push(c.name ?? '');
    for (const p of hp) ports.add(p);
  }
  if (!bad.length) return undefined;
  return fail(
    'hostPort',
    `${containers(bad)} ${plural('uses', 'use', bad.length)} ${plural('hostPort', 'hostPorts', ports.size)} ${sorted(ports).join(', ')}`,
  );
};

const privileged: Check = (_m, s) => {
  const bad = all(s)
    .filter((c) => sc(c)?.privileged === true)
    .map((c) => c.name ?? '');
  return bad.length
    ? fail('privileged', `${containers(bad)} must not set securityContext.privileged=true`)
    : undefined;
};

const procMount: Check = (_m, s) => {
  const bad = all(s).filter((c) => ![undefined, 'Default'].includes(sc(c)?.procMount));
  if (!bad.length) return undefined;
  const values = sorted(bad.map((c) => sc(c)!.procMount!));
  return fail(
    'procMount',
    `${containers(bad.map((c) => c.name ?? ''))} must not set securityContext.procMount to ${quote(values)}`,
  );
};

const seLinuxOptions: Check = (_m, s) => {
  const types = new Set<string>();
  let user = false;
  let role = false;
  const bad = (o: SecurityContext | undefined) => {
    const x = o?.seLinuxOptions;
    if (!x) return false;
    const badType = !SELINUX_TYPES.has(x.type ?? '');
    if (badType) types.add(x.type ?? '');
    user ||= !!x.user;
    role ||= !!x.role;
    return badType || !!x.user || !!x.role;
  };
  const setters: string[] = [];
  if (bad(podSc(s))) setters.push('pod');
  const badC = all(s)
    .filter((c) => bad(sc(c)))
    .map((c) => c.name ?? '');
  if (badC.length) setters.push(containers(badC));
  if (!setters.length) return undefined;
  const data: string[] = [];
  if (types.size) data.push(`${plural('type', 'types', types.size)} ${quote(sorted(types))}`);
  if (user) data.push('user may not be set');
  if (role) data.push('role may not be set');
  return fail(
    'seLinuxOptions',
    `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}`,
  );
};

const sysctls: Check = (_m, s) => {
  const bad = (podSc(s)?.sysctls ?? []).map((x) => x.name ?? '').filter((n) => !SYSCTLS.has(n));
  return bad.length ? fail('forbidden sysctls', bad.join(', ')) : undefined;
};

const capabilitiesBaseline: Check = (_m, s) => {
  const bad: string[] = [];
  const caps = new Set<string>();
  for (const c of all(s)) {
    const extra = (sc(c)?.capabilities?.add ?? []).filter((x) => !CAPS_BASELINE.has(x));
    if (extra.length) bad.push(c.name ?? '');
    for (const x of extra) caps.add(x);
  }
  if (!bad.length) return undefined;
  return fail(
    'non-default capabilities',
    `${containers(bad)} must not include ${quote(sorted(caps))} in securityContext.capabilities.add`,
  );
};

const seccompBaseline: Check = (_m, s) => {
  const setters: string[] = [];
  if (podSc(s)?.seccompProfile?.type === 'Unconfined') setters.push('pod');
  const bad = all(s)
    .filter((c) => sc(c)?.seccompProfile?.type === 'Unconfined')
    .map((c) => c.name ?? '');
  if (bad.length) setters.push(containers(bad));
  if (!setters.length) return undefined;
  return fail(
    'seccompProfile',
    `${setters.join(' and ')} must not set securityContext.seccompProfile.type to "Unconfined"`,
  );
};

const allowPrivilegeEscalation: Check = (_m, s) => {
  const bad = all(s)
    .filter((c) => sc(c)?.allowPrivilegeEscalation !== false)
    .map((c) => c.name ?? '');
  return bad.length
    ? fail(
        'allowPrivilegeEscalation != false',
        `${containers(bad)} must set securityContext.allowPrivilegeEscalation=false`,
      )
    : undefined;
};

const capabilitiesRestricted: Check = (_m, s) => {
  const noDrop: string[] = [];
  const adding: string[] = [];
  const caps = new Set<string>();
  for (const c of all(s)) {
    const cap = sc(c)?.capabilities;
    if (!(cap?.drop ?? []).includes('ALL')) noDrop.push(c.name ?? '');
    const extra = (cap?.add ?? []).filter((x) => x !== 'NET_BIND_SERVICE');
    if (extra.length) adding.push(c.name ?? '');
    for (const x of extra) caps.add(x);
  }
  const details: string[] = [];
  if (noDrop.length) details.push(`${containers(noDrop)} must set securityContext.capabilities.drop=["ALL"]`);
  if (adding.length)
    details.push(
      `${containers(adding)} must not include ${quote(sorted(caps))} in securityContext.capabilities.add`,
    );
  return details.length ? fail('unrestricted capabilities', details.join('; ')) : undefined;
};

const restrictedVolumes: Check = (_m, s) => {
  const bad: string[] = [];
  const types = new Set<string>();
  for (const v of (s.volumes ?? []) as Array<Record<string, unknown>>) {
    const type = Object.keys(v).find((k) => k !== 'name' && v[k] !== undefined && v[k] !== null);
    if (type && SAFE_VOLUMES.includes(type)) continue;
    bad.push(String(v.name ?? ''));
    if (type) types.add(type);
  }
  if (!bad.length) return undefined;
  return fail(
    'restricted volume types',
    `${plural('volume', 'volumes', bad.length)} ${quote(bad)} ${plural('uses', 'use', bad.length)} ${plural('restricted volume type', 'restricted volume types', types.size)} ${quote(sorted(types))}`,
  );
};

/** "must set X=true" checks where the pod level may stand in for its containers. */
function podOrContainers(
  reason: string,
  isSet: (o: SecurityContext | undefined) => boolean | undefined,
  badText: string,
  needText: string,
): Check {
  return (_m, s) => {
    const pod = isSet(podSc(s));
    const setters = pod === false ? ['pod'] : [];
    const explicit: string[] = [];
    const implicit: string[] = [];
    for (const c of all(s)) {
      const v = isSet(sc(c));
      if (v === false) explicit.push(c.name ?? '');
      else if (v === undefined && pod !== true) implicit.push(c.name ?? '');
    }
    if (explicit.length) setters.push(containers(explicit));
    if (setters.length) return fail(reason, `${setters.join(' and ')} ${badText}`);
    if (implicit.length) return fail(reason, `pod or ${containers(implicit)} ${needText}`);
    return undefined;
  };
}

const runAsNonRoot = podOrContainers(
  'runAsNonRoot != true',
  (o) => o?.runAsNonRoot,
  'must not set securityContext.runAsNonRoot=false',
  'must set securityContext.runAsNonRoot=true',
);

const runAsUser: Check = (_m, s) => {
  const setters = podSc(s)?.runAsUser === 0 ? ['pod'] : [];
  const bad = all(s)
    .filter((c) => sc(c)?.runAsUser === 0)
    .map((c) => c.name ?? '');
  if (bad.length) setters.push(containers(bad));
  return setters.length
    ? fail('runAsUser=0', `${setters.join(' and ')} must not set runAsUser=0`)
    : undefined;
};

const seccompRestricted: Check = (_m, s) => {
  const values = new Set<string>();
  const valid = (o: SecurityContext | undefined) => {
    const t = o?.seccompProfile?.type;
    if (o?.seccompProfile === undefined) return undefined;
    if (t === 'RuntimeDefault' || t === 'Localhost') return true;
    values.add(t ?? '');
    return false;
  };
  const inner = podOrContainers(
    'seccompProfile',
    valid,
    'must not set securityContext.seccompProfile.type to VALUES',
    'must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
  );
  const v = inner(_m, s);
  return v && { ...v, detail: v.detail.replace('VALUES', quote(sorted(values))) };
};

const BASELINE: Check[] = [
  appArmorProfile,
  hostNamespaces,
  hostPathVolumes,
  hostPorts,
  privileged,
  procMount,
  seLinuxOptions,
  sysctls,
];
const BASELINE_ONLY: Check[] = [capabilitiesBaseline, seccompBaseline];
const RESTRICTED: Check[] = [
  allowPrivilegeEscalation,
  capabilitiesRestricted,
  restrictedVolumes,
  runAsNonRoot,
  runAsUser,
  seccompRestricted,
];

/** Every violation of the level by the pod, in the order upstream reports them. */
export function evaluatePod(level: Level, pod: KObject): Violation[] {
  if (level === 'privileged') return [];
  const checks = [...BASELINE, ...(level === 'baseline' ? BASELINE_ONLY : RESTRICTED)];
  const s = podSpec(pod);
  return checks.map((c) => c(pod.metadata, s)).filter((v): v is Violation => !!v);
}

/** `reason (detail), reason (detail)`: AggregateCheckResults' text. */
export const describe = (vs: Violation[]) =>
  vs.map((v) => (v.detail ? `${v.reason} (${v.detail})` : v.reason)).join(', ');
