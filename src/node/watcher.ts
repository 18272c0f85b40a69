// The manifests directory: every *.yaml/*.yml/*.json file, re-read on change (fs.watch, with a
// periodic rescan as the safety net since inotify can miss events). Reports the whole desired
// state each time something changed; a file that fails to parse keeps its last good content.
import { readFileSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { ManifestError, parseManifest, type ParsedFile, type PolicyValidator } from './manifest.js';

export interface Desired extends ParsedFile {
  errors: Map<string, string>;
}

/** What feeds the agent `Desired` snapshots: this directory watcher, or the API server. */
export interface DesiredSource {
  start(): void;
  stop(): void;
}

export class ManifestWatcher implements DesiredSource {
  private files = new Map<string, { mtime: number; size: number; parsed: ParsedFile }>();
  private errors = new Map<string, string>();
  private fsw?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private pending?: NodeJS.Timeout;

  constructor(
    readonly dir: string,
    private readonly onChange: (d: Desired) => void,
    private readonly rescanMs = 2000,
    private readonly validatePolicy?: PolicyValidator,
  ) {}

  start(): void {
    this.scan(true);
    try {
      this.fsw = watch(this.dir, () => this.soon());
    } catch {
      /* the rescan covers it */
    }
    this.timer = setInterval(() => this.scan(false), this.rescanMs);
  }

  stop(): void {
    this.fsw?.close();
    clearInterval(this.timer);
    clearTimeout(this.pending);
  }

  private soon(): void {
    clearTimeout(this.pending);
    this.pending = setTimeout(() => this.scan(false), 10);
  }

  scan(force: boolean): void {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => /\.(ya?ml|json)$/.test(n) && !n.startsWith('.'));
    } catch (e) {
      this.errors.set(this.dir, (e as Error).message);
      names = [];
    }
    let changed = force;
    for (const old of [...this.files.keys()])
      if (!names.includes(old)) {
        this.files.delete(old);
        this.errors.delete(old);
        changed = true;
      }
    for (const n of names) {
      const p = join(this.dir, n);
      try {
        const st = statSync(p);
        const prev = this.files.get(n);
        if (prev && prev.mtime === st.mtimeMs && prev.size === st.size) continue;
        const parsed = parseManifest(readFileSync(p, 'utf8'), n, this.validatePolicy);
        this.files.set(n, { mtime: st.mtimeMs, size: st.size, parsed });
        this.errors.delete(n);
        changed = true;
      } catch (e) {
        const m = e instanceof ManifestError ? e.message : `${n}: ${(e as Error).message}`;
        if (this.errors.get(n) !== m) changed = true;
        this.errors.set(n, m);
      }
    }
    if (changed) this.onChange(this.desired());
  }

  desired(): Desired {
    const d: Desired = {
      pods: [],
      configMaps: [],
      secrets: [],
      namespaces: [],
      networkPolicies: [],
      errors: new Map(this.errors),
    };
    for (const f of this.files.values()) {
      d.pods.push(...f.parsed.pods);
      d.configMaps.push(...f.parsed.configMaps);
      d.secrets.push(...f.parsed.secrets);
      d.namespaces.push(...f.parsed.namespaces);
      d.networkPolicies.push(...f.parsed.networkPolicies);
    }
    return d;
  }
}
