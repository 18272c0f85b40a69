// The one storage interface of the API server (etcd's data model, as kine maps it): keys are
// strings like `/registry/pods/<ns>/<name>`, values are bytes (JSON objects), every write gets
// a new cluster-wide revision. Two backends implement it and pass the same test suite: SQLite
// (embedded default, sqlite.ts) and etcd v3 (etcd.ts); open them with openStorage (open.ts).

export interface KeyValue {
  key: string;
  value: Buffer;
  /** Revision of the write that created the key (etcd create_revision). */
  createRevision: number;
  /**
   * Revision of the last write to the key (etcd mod_revision) = the object's resourceVersion.
   * For a deleted key (delete()'s result, a delete event's `kv`): the revision of the delete,
   * with `value` the last value the key had.
   */
  modRevision: number;
}

export interface ListResult {
  items: KeyValue[];
  /** The store's revision the list is consistent with (pass it as `revision` for the next page). */
  revision: number;
  /** True when `limit` cut the list; continue with `startAfter` = the last item's key. */
  more: boolean;
}

export interface ListOptions {
  /** Only keys after this one (exclusive), for pagination. */
  startAfter?: string;
  limit?: number;
  /**
   * Read as of this revision. Default: current. Fails with 'compacted' below the compact
   * revision, with 'unavailable' above the current revision (HTTP: "too large resource version").
   */
  revision?: number;
}

export type WatchEvent =
  /** A create (no `prev`) or an update (`prev` = the value it replaced). */
  | { type: 'put'; kv: KeyValue; prev?: KeyValue }
  /** `kv.modRevision` is the delete's revision, `kv.value` and `prev` the last value. */
  | { type: 'delete'; kv: KeyValue; prev: KeyValue }
  /** Periodic progress (bookmark): nothing at or before `revision` is still to come. */
  | { type: 'progress'; revision: number };

export interface Watch {
  /** Stop the watch; no callback runs after it. */
  close(): void;
}

export class StorageError extends Error {
  constructor(
    /**
     * conflict → HTTP 409 (update/delete at a stale revision); exists → 409 AlreadyExists;
     * not-found → 404; compacted → 410 Gone / Expired; unavailable → 503 / 504 (backend down,
     * watch stream broken, revision in the future): the client retries.
     */
    readonly code: 'conflict' | 'exists' | 'not-found' | 'compacted' | 'unavailable',
    message: string,
    /** For conflict and exists: the current value. */
    readonly current?: KeyValue,
    /** For compacted: the compact revision, when the backend knows it. */
    readonly compactRevision?: number,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

export interface Storage {
  /** 'sqlite' or 'etcd'. */
  readonly backend: string;
  get(key: string): Promise<KeyValue | undefined>;
  /** Keys with this prefix ('' = all keys), ordered by key. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Number of keys with this prefix now. */
  count(prefix: string): Promise<number>;
  /** Fails with 'exists' (carrying the current value) when the key is there. Returns the new KeyValue. */
  create(key: string, value: Buffer): Promise<KeyValue>;
  /**
   * Writes when the key's modRevision is `expectedRevision`; fails with 'conflict' (carrying the
   * current value) otherwise, or 'not-found'.
   */
  update(key: string, value: Buffer, expectedRevision: number): Promise<KeyValue>;
  /**
   * Deletes (when given, only at `expectedRevision`, else 'conflict' carrying the current value);
   * returns the deleted value with modRevision = the delete's revision. 'not-found' when absent.
   */
  delete(key: string, expectedRevision?: number): Promise<KeyValue>;
  /**
   * Events for keys with this prefix strictly after `fromRevision`, in revision order, with none
   * lost or repeated between a list at revision R and a watch from R. `fromRevision` 0 = from
   * now (SQLite: from the call; etcd: from when the server registers the watch — pass a list's
   * revision when it matters). Callbacks run asynchronously, never inside watch() or a write.
   * onError ends the watch: 'compacted' (→ HTTP 410 Gone) when fromRevision is below the compact
   * revision, 'unavailable' when the backend's stream broke (re-watch from the last revision
   * seen), or the error an onEvent callback threw.
   */
  watch(
    prefix: string,
    fromRevision: number,
    onEvent: (e: WatchEvent) => void,
    onError: (e: Error) => void,
  ): Watch;
  /**
   * Forget history before `revision` (keeps every key's latest value, and all revisions at or
   * after `revision`). Clamped to the current revision; a no-op at or below the last compaction.
   */
  compact(revision: number): Promise<void>;
  /** The revision compacted to (0 = never). */
  compactRevision(): Promise<number>;
  currentRevision(): Promise<number>;
  /** Ends every watch (without calling onError), stops timers, closes the connection. */
  close(): Promise<void>;
}

/** Options shared by both backends; see openStorage. */
export interface StorageOptions {
  /** Progress (bookmark) events to every watch this often. SQLite default 5000 ms; 0 = never.
   * etcd: the server sends them (etcd flag --experimental-watch-progress-notify-interval,
   * default 10 min); this option is ignored there. */
  progressIntervalMs?: number;
  /** Automatic compaction this often, keeping `compactRetain` revisions. 0 (default) = off:
   * the API server calls compact() itself (as kube-apiserver does every 5 min). */
  compactIntervalMs?: number;
  /** Revisions kept by the automatic compactor (default 1000, as kine's compact-min-retain). */
  compactRetain?: number;
  /** Where a failed automatic compaction is reported (default: one line on stderr). */
  onBackgroundError?: (e: Error) => void;
}
