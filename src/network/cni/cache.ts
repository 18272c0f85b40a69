// The attachment cache, like libcni's results/<net>-<containerid>-<ifname>: what was added, so DEL
// can hand plugins the result (prevResult) and the same CNI_ARGS and capability arguments, and GC
// can find attachments whose sandbox is gone. An "adding" record is written BEFORE the first
// plugin runs: host-local allocates an address at once, and if Corral dies mid-ADD only this record
// lets a later GC release it. Writes go to a temp file and are renamed, so a record is whole.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CapabilityArgs } from './attachment.js';
import type { NetworkConfigList } from './config.js';
import type { CniResult } from './result.js';

export const CACHE_KIND = 'corralCniCacheV1';

// Temp names stay unique when one process writes the same record twice at once.
let seq = 0;

export interface CacheRecord {
  kind: typeof CACHE_KIND;
  /** "adding" until every plugin's ADD succeeded; then "added" with the result. */
  state: 'adding' | 'added';
  networkName: string;
  containerId: string;
  ifName: string;
  netns: string;
  cniArgs: Record<string, string>;
  capabilityArgs: CapabilityArgs;
  config: NetworkConfigList;
  result?: CniResult;
  /** ISO time of the last write. */
  updated: string;
}

export class AttachmentCache {
  readonly dir: string;

  constructor(cacheDir: string) {
    this.dir = join(cacheDir, 'results');
  }

  private file(net: string, containerId: string, ifName: string): string {
    return join(this.dir, `${net}-${containerId}-${ifName}`);
  }

  async write(r: Omit<CacheRecord, 'kind' | 'updated'>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const f = this.file(r.networkName, r.containerId, r.ifName);
    const tmp = `${f}.${process.pid}-${(seq++).toString(36)}.tmp`;
    const rec: CacheRecord = { kind: CACHE_KIND, ...r, updated: new Date().toISOString() };
    await writeFile(tmp, JSON.stringify(rec, null, 1));
    await rename(tmp, f);
  }

  async read(net: string, containerId: string, ifName: string): Promise<CacheRecord | undefined> {
    return parse(await readOrUndefined(this.file(net, containerId, ifName)));
  }

  async remove(net: string, containerId: string, ifName: string): Promise<void> {
    await rm(this.file(net, containerId, ifName), { force: true });
  }

  /** Every record of network `net` (names may contain "-", so the content decides). */
  async list(net: string): Promise<CacheRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: CacheRecord[] = [];
    for (const n of names.sort()) {
      if (!n.startsWith(`${net}-`) || n.endsWith('.tmp')) continue;
      const r = parse(await readOrUndefined(join(this.dir, n)));
      if (r?.networkName === net) out.push(r);
    }
    return out;
  }
}

async function readOrUndefined(f: string): Promise<string | undefined> {
  try {
    return await readFile(f, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

// Records from another tool or an older format are not ours to act on.
function parse(text: string | undefined): CacheRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const r = JSON.parse(text) as CacheRecord;
    return r.kind === CACHE_KIND ? r : undefined;
  } catch {
    return undefined;
  }
}
