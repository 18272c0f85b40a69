// The admission chain kube-apiserver runs by default, in its order: NamespaceLifecycle,
// LimitRanger, ServiceAccount, PodSecurity, ResourceQuota last (it charges only what every other
// plugin has let through, after the mutating plugins have filled in what it counts).
import type { Storage } from '../storage/types.js';
import { limitRanger } from './limit-ranger.js';
import { namespaceLifecycle } from './namespace-lifecycle.js';
import { podSecurity } from './pod-security.js';
import { QuotaTracker } from './quota-tracker.js';
import { resourceQuota } from './resource-quota.js';
import type { Admission } from './types.js';

/** Runs the plugins one after another on the same attributes; the first refusal wins. */
export function chain(...plugins: Admission[]): Admission {
  return async (a) => {
    for (const p of plugins) await p(a);
  };
}

export interface AdmissionDeps {
  storage: Storage;
  /** Shared with the QuotaController, which must run alongside (controllers/quota.ts). */
  quotas: QuotaTracker;
  /** The ServiceAccount plugin (admission/service-account.ts), passed in by the caller. */
  serviceAccount?: Admission;
}

export function defaultAdmission(deps: AdmissionDeps): Admission {
  return chain(
    namespaceLifecycle(deps.storage),
    limitRanger(deps.storage),
    ...(deps.serviceAccount ? [deps.serviceAccount] : []),
    podSecurity(deps.storage),
    resourceQuota(deps.quotas),
  );
}

export { QuotaTracker } from './quota-tracker.js';
