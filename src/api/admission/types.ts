// The admission hook point: every write passes through `admit` after defaulting and before
// validation and storage. Quota, LimitRange, ServiceAccount and RBAC escalation checks plug in
// here in later issues; they mutate `obj` or throw an ApiError.
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
}

export type Admission = (a: AdmissionAttributes) => Promise<void> | void;

export const admitAll: Admission = () => {};
