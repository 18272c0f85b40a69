// What the API server knows about one kind: its names for discovery, its strategy (defaults,
// validation, status handling, printing) and its field schema (strict decoding, OpenAPI). One
// file per kind under resources/ exports one ResourceDef; registry.ts lists them.
import type { FieldError } from '../errors.js';
import type { Schema } from './schema.js';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  [k: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

export interface Column {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description?: string;
  /** 0 = default columns, 1 = only with -o wide. */
  priority?: number;
}

export interface TablePrinter {
  columns: Column[];
  cells(obj: KObject, now: Date): unknown[];
}

export interface Subresource {
  kind: string;
  verbs: string[];
  /** Group/version of the kind when it differs from the parent's (Eviction is policy/v1). */
  group?: string;
  version?: string;
}

export interface Strategy {
  /** Fill unset fields as Kubernetes' defaulting does. Runs on create and update. */
  defaults?(obj: KObject): void;
  /** Extra state for a new object (Pod: status.phase=Pending; Namespace: phase Active). */
  prepareCreate?(obj: KObject): void;
  /** Field errors for an object (old is set on update). Metadata is checked generically. */
  validate?(obj: KObject, old?: KObject): FieldError[];
  /** True when the kind has a status subresource: writes to the main resource keep the old status. */
  hasStatus?: boolean;
  /** Whether a change from old to obj is a spec change that bumps metadata.generation. */
  bumpsGeneration?: boolean;
  /** Field-selector fields beyond metadata.name and metadata.namespace. */
  fields?(obj: KObject): Record<string, string>;
  /** Kinds whose objects a node must release first (Pods on a node) delete gracefully. */
  gracefulDelete?(obj: KObject, requestedSeconds: number | undefined): number;
  table?: TablePrinter;
}

export interface ResourceDef {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Default: the eight verbs of a normal resource. */
  verbs?: string[];
  subresources?: Record<string, Subresource>;
  strategy: Strategy;
  /** Known fields below the top level (apiVersion/kind/metadata are implied). */
  schema: Record<string, Schema>;
  /** Create-only virtual kinds (access reviews) answer POST with a computed object. */
  virtual?: (obj: KObject, ctx: ReviewContext) => KObject | Promise<KObject>;
  /**
   * Kept in another kind's storage representation (events.k8s.io/v1 Event is stored as core/v1
   * Event, as in Kubernetes), converted on every read and write.
   */
  storedAs?: { def: ResourceDef; toStored(o: KObject): KObject; fromStored(o: KObject): KObject };
  /** One-line description for OpenAPI / explain. */
  description?: string;
}

/** One request as the authorizer sees it (the review APIs ask about such requests too). */
export interface AuthzAttributes {
  user: UserInfo;
  verb: string;
  namespace: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  name: string;
  /** Set for non-resource requests (/healthz, /version). */
  path?: string;
}

/** What a review kind may use to answer: the caller, and the server's authorizer. */
export interface ReviewContext {
  user: UserInfo;
  authorize: (a: AuthzAttributes) => Promise<{ allowed: boolean; reason?: string }>;
}

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
}

export const STANDARD_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

export const apiVersionOf = (d: { group: string; version: string }) =>
  d.group ? `${d.group}/${d.version}` : d.version;
