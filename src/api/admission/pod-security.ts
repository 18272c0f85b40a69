// PodSecurity admission (k8s.io/pod-security-admission): a namespace's labels pick a Pod Security
// Standard level per mode — `pod-security.kubernetes.io/enforce` refuses violating pods (403),
// `warn` sends the violations back as warnings, `audit` would annotate audit events (Corral has
// no audit log yet, so audit is read but has no effect). Each mode's `-version` label is
// accepted; Corral implements the latest version of every check, so any version evaluates as
// latest (as upstream does for versions newer than it knows).
import { ApiError, forbidden } from '../errors.js';
import { Store } from '../registry/store.js';
import { namespaces } from '../resources/namespaces.js';
import { pods } from '../resources/pods.js';
import { sameJSON } from '../resources/canonical.js';
import type { KObject } from '../resources/types.js';
import type { Storage } from '../storage/types.js';
import { describe, evaluatePod, type Level } from './pod-security-checks.js';
import { admitAll, type Admission } from './types.js';

const PREFIX = 'pod-security.kubernetes.io/';
const LEVELS: Level[] = ['privileged', 'baseline', 'restricted'];

interface ModePolicy {
  level: Level;
  version: string;
}

/**
 * The policy a namespace's labels set for one mode. An unknown level fails closed to
 * restricted, as upstream's ParseLevel does; an unparseable version means latest.
 */
function modePolicy(labels: Record<string, string>, mode: 'enforce' | 'warn' | 'audit'): ModePolicy {
  const raw = labels[`${PREFIX}${mode}`];
  const level: Level =
    raw === undefined ? 'privileged' : LEVELS.includes(raw as Level) ? (raw as Level) : 'restricted';
  const v = labels[`${PREFIX}${mode}-version`];
  const version = v && /^v1\.\d+$/.test(v) ? v : 'latest';
  return { level, version };
}

const label = (p: ModePolicy) => `${p.level}:${p.version}`;

export function podSecurity(storage: Storage): Admission {
  const nsStore = new Store(storage, namespaces, admitAll);
  return async (a) => {
    if (a.def !== pods || !a.obj || (a.operation !== 'CREATE' && a.operation !== 'UPDATE')) return;
    // Status and binding writes do not change what the pod may do; ephemeral containers do.
    if (a.subresource && a.subresource !== 'ephemeralcontainers') return;
    if (a.operation === 'UPDATE' && a.old && !securityRelevantChange(a.old, a.obj)) return;
    let ns: KObject;
    try {
      ns = await nsStore.get('', a.namespace);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return; // NamespaceLifecycle's to refuse
      throw e;
    }
    const labels = ns.metadata.labels ?? {};
    const enforce = modePolicy(labels, 'enforce');
    const warn = modePolicy(labels, 'warn');
    if (enforce.level !== 'privileged') {
      const vs = evaluatePod(enforce.level, a.obj);
      if (vs.length)
        throw forbidden(
          { group: '', plural: 'pods' },
          a.name,
          `violates PodSecurity "${label(enforce)}": ${describe(vs)}`,
        );
    }
    if (warn.level !== 'privileged' && a.warn) {
      const vs = evaluatePod(warn.level, a.obj);
      if (vs.length) a.warn(`would violate PodSecurity "${label(warn)}": ${describe(vs)}`);
    }
  };
}

/** Upstream skips updates that change neither the spec nor the AppArmor annotations. */
function securityRelevantChange(old: KObject, obj: KObject): boolean {
  const apparmor = (o: KObject) =>
    Object.entries(o.metadata.annotations ?? {}).filter(([k]) =>
      k.startsWith('container.apparmor.security.beta.kubernetes.io/'),
    );
  return !sameJSON(old.spec, obj.spec) || !sameJSON(apparmor(old), apparmor(obj));
}
