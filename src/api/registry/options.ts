// Options of the store's operations, as their query parameters and bodies carry them.
import type { UserInfo } from '../resources/types.js';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  user?: UserInfo;
  /** Admission warnings (Pod Security's warn mode); the HTTP layer sends them as Warning headers. */
  warn?: (message: string) => void;
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** Label/field matching, supplied by the HTTP layer from the selectors module. */
export interface Matcher {
  labels?: (labels: Record<string, string>) => boolean;
  fields?: (fields: Record<string, string>) => boolean;
}

export interface ListOptions {
  namespace?: string;
  match?: Matcher;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export const SYSTEM_USER: UserInfo = { username: 'system:apiserver', groups: ['system:masters'] };
