// openStorage: the one entry point the API server uses to get a Storage from a URL-ish string.
import type { Storage, StorageOptions } from './types.js';

/**
 * 'sqlite:PATH' (or 'sqlite://PATH', or a bare path ending in .db) → the embedded SQLite store;
 * 'etcd://host:port[,host:port...]' (or 'etcd+https://...') → an etcd v3 cluster. The backends
 * are imported lazily, so the SQLite path never loads gRPC.
 */
export async function openStorage(url: string, opts: StorageOptions = {}): Promise<Storage> {
  const m = /^([a-z+]+):(?:\/\/)?(.*)$/.exec(url);
  const scheme = m?.[1] ?? (url.endsWith('.db') ? 'sqlite' : '');
  const rest = m?.[2] ?? url;
  if (scheme === 'sqlite') {
    if (!rest) throw new Error(`storage: '${url}' has no path; use sqlite:/var/lib/corral/state.db`);
    const { openSqlite } = await import('./sqlite.js');
    try {
      return openSqlite(rest, opts);
    } catch (e) {
      throw new Error(`storage: cannot open ${url}: ${(e as Error).message}`, { cause: e });
    }
  }
  if (scheme === 'etcd' || scheme === 'etcd+http' || scheme === 'etcd+https') {
    if (!rest) throw new Error(`storage: '${url}' names no endpoint; use etcd://127.0.0.1:2379`);
    const proto = scheme === 'etcd+https' ? 'https' : 'http';
    const hosts = rest
      .split(',')
      .filter(Boolean)
      .map((h) => `${proto}://${h}`);
    const { EtcdStorage } = await import('./etcd.js');
    return new EtcdStorage(hosts, opts);
  }
  throw new Error(`storage: unknown storage '${url}'; use sqlite:PATH or etcd://HOST:PORT[,HOST:PORT]`);
}
