// The admission hook point: every write passes through `admit` after defaulting and before
// validation and storage. NamespaceLifecycle, LimitRanger, ServiceAccount, PodSecurity and
// ResourceQuota plug in here (index.ts chains them); they mutate `obj` or throw an ApiError.
import type { KObject, ResourceDef, UserInfo } from '../resources/types.js';

export interface AdmissionAttributes {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  def: ResourceDef;
  subresource: string;
  namespace: string;
  name: string;
  obj: KObject | undefined;
  old: KObject | undefined;
  user: UserInfo;
  dryRun: boolean;
  /**
   * A warning for the client (PodSecurity's warn mode). The HTTP layer sends each as a
   * `Warning: 299 - "<text>"` response header; absent when nobody listens.
   */
  warn?: (message: string) => void;
  /**
   * Runs `fn` once the write this admission is for has been stored (`stored` = true) or has
   * failed or was a dry run (false). Quota holds its per-namespace lock until then, so a charge
   * and the object it pays for become visible together. Set by the store on CREATE.
   */
  whenDone?: (fn: (stored: boolean) => Promise<void> | void) => void;
}

export type Admission = (a: AdmissionAttributes) => Promise<void> | void;

export const admitAll: Admission = () => {};
