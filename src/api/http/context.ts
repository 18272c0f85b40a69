// What every handler gets: the stores by kind, the caller, and the response helpers' settings.
import type { Store } from '../registry/store.js';
import type { Authorizer } from '../auth/types.js';
import type { ResourceDef, UserInfo } from '../resources/types.js';

export interface ServerContext {
  stores: Map<ResourceDef, Store>;
  /** Default watch length when the client gives no timeoutSeconds. */
  watchTimeoutSeconds: number;
  bookmarkEveryMs: number;
  log: (msg: string) => void;
  authorize: Authorizer;
}

export interface RequestContext {
  user: UserInfo;
  url: URL;
}
