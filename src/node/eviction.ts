// Node-pressure eviction (kubelet pkg/kubelet/eviction, hard threshold on memory.available):
// every interval the agent reads the node's available memory (MemAvailable of /proc/meminfo);
// under the threshold it evicts one pod and waits for it to stop; the next pass looks again. Victims
// as rankMemoryPressure orders them, limited to the pods that exceed their requests: BestEffort
// pods first (they request nothing), then Burstable pods over their memory request, each group by
// usage above the request, largest first. Guaranteed pods and pods within their requests stay.
// The pod ends Failed with reason Evicted and the kubelet's message.
import { readFileSync } from 'node:fs';
import { parseQuantity } from '../util/quantity.js';
import type { QOSClass } from './qos.js';

export interface Threshold {
  signal: 'memory.available';
  /** Absolute bytes, or a fraction of the node's memory capacity. */
  bytes?: number;
  percentage?: number;
  /** As given (for the message): `100Mi`, `10%`. */
  text: string;
}

/** `--eviction-hard memory.available<100Mi` (or `<10%`); '' or 'none' turns eviction off. */
export function parseEvictionHard(s: string): Threshold | undefined {
  const v = s.trim();
  if (v === '' || v === 'none') return undefined;
  const m = /^memory\.available<(.+)$/.exec(v);
  if (!m)
    throw new Error(
      `--eviction-hard: "${s}" is not supported; give memory.available<QUANTITY (e.g. memory.available<100Mi or <10%)`,
    );
  const q = m[1]!.trim();
  if (q.endsWith('%')) {
    const p = Number(q.slice(0, -1));
    if (!(p >= 0 && p <= 100)) throw new Error(`--eviction-hard: percentage "${q}" must be within 0%–100%`);
    return { signal: 'memory.available', percentage: p / 100, text: q };
  }
  return { signal: 'memory.available', bytes: parseQuantity(q, '--eviction-hard memory.available'), text: q };
}

/** MemAvailable of /proc/meminfo in bytes (what the kubelet's memory.available approximates). */
export function readMemAvailable(meminfo = '/proc/meminfo'): number {
  const m = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync(meminfo, 'utf8'));
  if (!m) throw new Error(`${meminfo}: no MemAvailable line`);
  return Number(m[1]) * 1024;
}

/** A Kubernetes quantity as resource.Quantity prints bytes (BinarySI): the largest exact suffix. */
export function formatBytes(n: number): string {
  if (n === 0) return '0';
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'];
  let i = 0;
  let v = Math.round(n);
  while (i < units.length - 1 && v % 1024 === 0) {
    v /= 1024;
    i++;
  }
  return `${v}${units[i]}`;
}

export interface ContainerUsage {
  name: string;
  /** Working set bytes. */
  usage: number;
  /** Memory request bytes (0 when none). */
  request: number;
}

/** What the eviction manager needs of a pod. */
export interface EvictablePod {
  readonly key: string;
  qos(): QOSClass;
  /** Per app container memory usage and request; undefined once the pod is not running. */
  memoryUsage(): Promise<ContainerUsage[] | undefined>;
  evict(message: string): Promise<void>;
}

/** The kubelet's evictionMessage: node, threshold and the containers over their request. */
export function evictionMessage(t: Threshold, available: number, ctrs: ContainerUsage[]): string {
  let m = `The node was low on resource: memory. Threshold quantity: ${t.text}, available: ${formatBytes(available)}. `;
  for (const c of ctrs)
    if (c.usage > c.request)
      m += `Container ${c.name} was using ${formatBytes(c.usage)}, request is ${formatBytes(c.request)}, has larger consumption of memory. `;
  return m;
}

export interface Candidate {
  pod: EvictablePod;
  qos: QOSClass;
  usage: number;
  request: number;
  ctrs: ContainerUsage[];
}

/** The eviction order; pods not exceeding their requests (and Guaranteed pods) are left out. */
export function rankForEviction(cands: Candidate[]): Candidate[] {
  const over = (c: Candidate) => c.usage - c.request;
  const tier = (c: Candidate) => (c.qos === 'BestEffort' ? 0 : 1);
  return cands
    .filter((c) => c.qos !== 'Guaranteed' && c.usage > c.request)
    .sort((a, b) => tier(a) - tier(b) || over(b) - over(a));
}

export interface EvictionOptions {
  threshold: Threshold;
  memoryCapacity: number;
  /** Housekeeping interval (the kubelet's is 10 s). */
  intervalMs?: number;
  /** Available memory in bytes; default MemAvailable from /proc/meminfo (tests inject a fake). */
  available?: () => number;
  log?: (msg: string) => void;
}

export class EvictionManager {
  private timer?: NodeJS.Timeout;
  private busy?: Promise<void>;
  private readonly read: () => number;

  constructor(
    private readonly o: EvictionOptions,
    private readonly pods: () => EvictablePod[],
  ) {
    this.read = o.available ?? (() => readMemAvailable());
  }

  get limitBytes(): number {
    const t = this.o.threshold;
    return t.bytes ?? Math.floor((t.percentage ?? 0) * this.o.memoryCapacity);
  }

  start(): void {
    this.timer = setInterval(() => void this.synchronize(), this.o.intervalMs ?? 10_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.busy;
  }

  /** One housekeeping pass: under the threshold, evict the first ranked pod (one per pass, as
   *  the kubelet: the next pass sees the memory it freed). Returns the key of the evicted pod. */
  synchronize(): Promise<string | undefined> {
    if (this.busy) return this.busy.then(() => undefined);
    let evicted: string | undefined;
    const run = (async () => {
      const available = this.read();
      if (available >= this.limitBytes) return;
      const cands: Candidate[] = [];
      for (const pod of this.pods()) {
        const ctrs = await pod.memoryUsage();
        if (!ctrs) continue;
        const sum = (f: (c: ContainerUsage) => number) => ctrs.reduce((s, c) => s + f(c), 0);
        cands.push({ pod, qos: pod.qos(), usage: sum((c) => c.usage), request: sum((c) => c.request), ctrs });
      }
      const victim = rankForEviction(cands)[0];
      if (!victim) {
        this.o.log?.(
          `memory.available ${formatBytes(available)} < ${this.o.threshold.text}, but no pod exceeds its requests`,
        );
        return;
      }
      const message = evictionMessage(this.o.threshold, available, victim.ctrs);
      this.o.log?.(`evicting pod ${victim.pod.key}: ${message}`);
      evicted = victim.pod.key;
      await victim.pod.evict(message);
    })()
      .catch((e) => this.o.log?.(`eviction: ${(e as Error).message}`))
      .finally(() => (this.busy = undefined));
    this.busy = run;
    return run.then(() => evicted);
  }
}
