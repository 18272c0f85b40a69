// What every handler gets: the stores by kind, the caller, and the response helpers' settings.
import type { Store } from '../registry/store.js';
import type { Authorizer } from '../auth/types.js';
import type { RulesReview } from '../auth/rules-review.js';
import type { ResourceDef, UserInfo } from '../resources/types.js';
import type { Authentication } from './authn.js';

export interface ServerContext {
  stores: Map<ResourceDef, Store>;
  /** Default watch length when the client gives no timeoutSeconds. */
  watchTimeoutSeconds: number;
  bookmarkEveryMs: number;
  log: (msg: string) => void;
  authn: Authentication;
  authorize: Authorizer;
  /** What a user may do in a namespace (SelfSubjectRulesReview). */
  rulesFor: RulesReview;
}

export interface RequestContext {
  user: UserInfo;
  url: URL;
}
