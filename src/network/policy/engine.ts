// The node's NetworkPolicy enforcer: takes the latest PolicyState, coalesces bursts of updates,
// compiles them and swaps Corral's nftables table in one transaction. Only that table is touched.
import { performance } from 'node:perf_hooks';
import { compilePolicy } from './compile.js';
import { PolicyError } from './errors.js';
import { checkBridgeNetfilter, nftRunner, type NftRunner } from './nft.js';
import type { PolicyState } from './types.js';

export interface PolicyEngineOptions {
  /** nftables table (family inet) owned by Corral; default 'corral'. */
  table?: string;
  /** Path of the node's network namespace (e.g. /run/netns/node); default: our own. */
  netns?: string;
  log?: (m: string) => void;
  /** How long update() waits to coalesce further updates; default 20 ms. */
  debounceMs?: number;
  /** See CompileOptions.nodeTraffic; default 'allow', as Kubernetes defines. */
  nodeTraffic?: 'allow' | 'enforce';
  /** Replaces the real nft (unit tests). */
  nft?: NftRunner;
}

export interface PolicyEngineStats {
  rules: number;
  applies: number;
  lastApplyMs: number;
  failures: number;
}

export class PolicyEngine {
  readonly stats: PolicyEngineStats = { rules: 0, applies: 0, lastApplyMs: 0, failures: 0 };
  private readonly table: string;
  private readonly netns: string | undefined;
  private readonly log: (m: string) => void;
  private readonly debounceMs: number;
  private readonly nodeTraffic: 'allow' | 'enforce';
  private readonly nft: NftRunner;
  private pending: PolicyState | undefined;
  private timer: NodeJS.Timeout | undefined;
  private worker: Promise<void> | undefined;
  private applied: string | undefined;
  private checked = false;
  private lastError: Error | undefined;
  private stopped = false;
  private lastWarnings = '';

  constructor(o: PolicyEngineOptions = {}) {
    this.table = o.table ?? 'corral';
    this.netns = o.netns;
    this.log = o.log ?? (() => undefined);
    this.debounceMs = o.debounceMs ?? 20;
    this.nodeTraffic = o.nodeTraffic ?? 'allow';
    this.nft = o.nft ?? nftRunner(o.netns);
  }

  /** Checks the kernel prerequisites now instead of at the first apply; rejects with the fix. */
  async start(): Promise<void> {
    await checkBridgeNetfilter(this.nft, this.netns, this.log);
    this.checked = true;
  }

  /** Makes `state` the desired state; applied within about debounceMs plus one nft run. */
  update(state: PolicyState): void {
    if (this.stopped) throw new PolicyError('NetworkPolicy engine is stopped; create a new one');
    this.pending = state;
    // A running worker picks the newest state up when its current apply ends (coalescing).
    if (!this.timer && !this.worker) this.timer = setTimeout(() => this.kick(), this.debounceMs);
  }

  /** Resolves when the last update() is in effect; rejects if applying it failed. */
  async flush(): Promise<void> {
    while (this.worker || this.timer) {
      if (this.timer) this.kick();
      await this.worker;
    }
    if (this.lastError) throw this.lastError;
  }

  /** Stops applying updates and deletes Corral's table. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    while (this.worker) await this.worker;
    await this.nft.apply(`table inet ${this.table} {}\ndelete table inet ${this.table}\n`);
    this.applied = undefined;
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.worker) return;
    this.worker = this.drain().finally(() => {
      this.worker = undefined;
      if (this.pending && !this.timer && !this.stopped) this.timer = setTimeout(() => this.kick(), 0);
    });
  }

  private async drain(): Promise<void> {
    while (this.pending) {
      const state = this.pending;
      this.pending = undefined;
      try {
        await this.apply(state);
        this.lastError = undefined;
      } catch (e) {
        this.stats.failures++;
        this.lastError = e instanceof Error ? e : new Error(String(e));
        // The kernel still holds the previous table: nft -f is all or nothing.
        this.log(`NetworkPolicy: ${this.lastError.message}; keeping the previous ruleset`);
      }
    }
  }

  private async apply(state: PolicyState): Promise<void> {
    const t0 = performance.now();
    if (!this.checked) {
      await checkBridgeNetfilter(this.nft, this.netns, this.log);
      this.checked = true;
    }
    const c = compilePolicy(state, { table: this.table, nodeTraffic: this.nodeTraffic });
    // Warnings repeat on every apply until the input changes; say them once.
    const warnings = c.warnings.join('\n');
    if (warnings !== this.lastWarnings) for (const w of c.warnings) this.log(`NetworkPolicy: ${w}`);
    this.lastWarnings = warnings;
    if (c.script === this.applied) return;
    await this.nft.apply(c.script);
    this.applied = c.script;
    this.stats.rules = c.rules;
    this.stats.applies++;
    this.stats.lastApplyMs = performance.now() - t0;
  }
}
