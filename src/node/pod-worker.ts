// One pod's life: sandbox, volumes, init containers in order (each to completion), then every app
// container in its own loop (start, wait, record how it ended, restart per restartPolicy with
// CrashLoopBackOff), probes, graceful stop; re-adoption of what a previous agent started.
import { closeSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../oci/proc.js';
import type { Process } from '../oci/spec.js';
import type { TerminalControl } from '../oci/terminal.js';
import { Backoff } from './backoff.js';
import { prepareContainer, type LaunchOptions } from './container-launch.js';
import type { NodeContext } from './context.js';
import { adoptInstance, cleanupInstance, startInstance, type Running } from './instance.js';
import { pruneInstanceLogs } from './logs.js';
import { runProbe } from './probes.js';
import { startProbes } from './prober.js';
import type { ContainerUsage } from './eviction.js';
import { containerAmounts, podCgroupPath, qosClass, type QOSClass } from './qos.js';
import { podShm, sandboxId, startSandbox, teardownShm, writeEtcFiles } from './sandbox.js';
import { openContainerStdin, releaseContainerStdin } from './stdin.js';
import { podStatus, type ContainerView } from './status.js';
import type { ContainerRecord, PodRecord } from './store.js';
import type { Container, ContainerStateTerminated, Pod, PodStatus } from './types.js';
import { setupVolumes, teardownVolumes } from './volumes.js';

interface Ctr extends ContainerView {
  c: Container;
  running?: Running;
  /** Set while we kill the instance on purpose (liveness failure, pod stop). */
  killing?: Promise<void>;
  backoff: Backoff;
}

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

export class PodWorker {
  readonly uid: string;
  /** On disk (pod.json, volumes, logs) and on the agent's tmpfs (bundles, /etc files, /dev/shm). */
  readonly dir: string;
  readonly stateDir: string;
  private rec: PodRecord;
  private ctrs: Ctr[];
  private sandbox?: Running;
  private stopping = false;
  private detached = false;
  private wakers = new Set<() => void>();
  private initFailed = false;
  private message?: string;
  private done: Promise<void> = Promise.resolve();
  private evicting?: Promise<void>;

  constructor(
    private readonly ctx: NodeContext,
    readonly pod: Pod,
    rec?: PodRecord,
  ) {
    this.uid = pod.metadata.uid;
    this.dir = ctx.store.dir(this.uid);
    this.stateDir = ctx.store.runDir(this.uid);
    this.rec = rec ?? {
      uid: this.uid,
      key: `${pod.metadata.namespace}/${pod.metadata.name}`,
      pod,
      createdAt: new Date().toISOString(),
      containers: {},
    };
    const make = (c: Container, init: boolean): Ctr => {
      const r: ContainerRecord = (this.rec.containers[c.name] ??= {
        name: c.name,
        restartCount: 0,
        backoffMs: 0,
      });
      const backoff = new Backoff(ctx.backoff);
      backoff.restore(r.backoffMs);
      return {
        c,
        name: c.name,
        image: c.image,
        init,
        rec: r,
        ready: false,
        started: false,
        final: false,
        backoff,
      };
    };
    this.ctrs = [
      ...(pod.spec.initContainers ?? []).map((c) => make(c, true)),
      ...pod.spec.containers.map((c) => make(c, false)),
    ];
  }

  get podCgroup(): string {
    return podCgroupPath(this.uid, qosClass(this.pod));
  }

  start(): void {
    if (this.rec.evicted) {
      this.stopping = true;
      for (const c of this.ctrs) c.final = true;
      return;
    }
    this.done = this.run().catch((e) => {
      this.message = msg(e);
      this.ctx.log(`pod ${this.rec.key}: ${this.message}`);
    });
  }

  private save(): void {
    if (!this.detached) this.ctx.store.save(this.rec);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping || this.detached) return Promise.resolve();
    return new Promise((res) => {
      const wake = () => {
        clearTimeout(t);
        this.wakers.delete(wake);
        res();
      };
      const t = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  private async run(): Promise<void> {
    // A sandbox whose network cannot be set up is torn down and tried again, with backoff.
    for (;;) {
      try {
        await this.ensureSandbox();
        this.message = undefined;
        break;
      } catch (e) {
        this.message = msg(e);
        for (const c of this.ctrs) c.waiting = { reason: 'ContainerCreating', message: this.message };
        this.ctx.log(`pod ${this.rec.key}: ${this.message}`);
        await this.stopSandbox();
        await this.sleep(this.ctx.backoff.baseMs);
        if (this.stopping || this.detached) return;
      }
    }
    const sandboxPid = this.sandbox!.rec.pid;
    const podIP = this.rec.sandbox?.ips?.[0];
    const etc = writeEtcFiles(this.pod, this.stateDir, this.ctx.nodeName, podIP);
    const fields = { pod: this.pod, nodeName: this.ctx.nodeName, ...(podIP ? { podIP } : {}) };
    let volumes: Map<string, string>;
    for (;;) {
      try {
        volumes = await setupVolumes(this.pod, this.dir, this.ctx.objects, fields, this.ctx.spawner);
        this.message = undefined;
        break;
      } catch (e) {
        this.message = msg(e);
        for (const c of this.ctrs) c.waiting = { reason: 'ContainerCreating', message: this.message };
        await this.sleep(this.ctx.backoff.baseMs);
        if (this.stopping) return;
      }
    }
    const shm = await podShm(this.pod, this.stateDir, this.ctx.spawner);
    const launch = { sandboxPid, podCgroup: this.podCgroup, etc, shm, volumes, fields };
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    for (const c of this.ctrs.filter((x) => x.init)) {
      while (!c.rec.done && !this.stopping) {
        const t = await this.runOnce(c, launch);
        if (this.stopping || this.detached) return;
        if (t?.exitCode === 0) {
          c.rec.done = true;
          c.final = true;
          this.save();
          break;
        }
        if (t && policy === 'Never') {
          this.initFailed = true;
          c.final = true;
          for (const a of this.ctrs) a.final = true;
          return;
        }
        await this.backoffWait(c, t);
      }
    }
    await Promise.all(this.ctrs.filter((x) => !x.init).map((c) => this.loop(c, launch, policy)));
  }

  private async ensureSandbox(): Promise<void> {
    const sb = this.rec.sandbox;
    // A sandbox is only ours to keep if its network was set up (ADD finished) when it needs one.
    if (sb && processAlive(sb.pid, sb.pidStartTime) && (sb.ips || !this.needsNetwork)) {
      this.sandbox = await adoptInstance(
        this.ctx,
        { ...sb, startedAt: '', log: '' },
        join(this.stateDir, 'bundles', sb.id),
      );
      if (this.sandbox) return;
    }
    // No provable sandbox: whatever ran in the old one goes (the kubelet does the same).
    for (const c of this.ctrs) {
      const cur = c.rec.current;
      if (!cur) continue;
      await this.ctx.runtime.delete(cur.id, { force: true }).catch(() => undefined);
      this.ctx.releaseOrphanRootfs(cur.id);
      c.rec.current = undefined;
    }
    if (sb) {
      await this.ctx.runtime.delete(sb.id, { force: true }).catch(() => undefined);
    }
    // An attachment left by an ADD cut short (same sandbox id) goes before the new ADD.
    if (this.needsNetwork) await this.ctx.network!.teardown(sandboxId(this.pod));
    this.sandbox = await startSandbox(this.ctx, this.pod, this.stateDir);
    const r = this.sandbox.rec;
    this.rec.sandbox = { id: r.id, pid: r.pid, pidStartTime: r.pidStartTime, helperPid: r.helperPid };
    this.save();
    if (this.needsNetwork) {
      try {
        this.rec.sandbox.ips = await this.ctx.network!.setup(this.pod, r.id, r.pid);
      } catch (e) {
        throw new Error(`failed to set up the pod network: ${msg(e)}`, { cause: e });
      }
      this.save();
      this.ctx.onNetworkChange();
    }
  }

  /** Whether the pod gets a CNI attachment (a node network is configured, no hostNetwork). */
  private get needsNetwork(): boolean {
    return !!this.ctx.network && !this.pod.spec.hostNetwork;
  }

  private async loop(c: Ctr, launch: LaunchOptions, policy: string): Promise<void> {
    while (!this.stopping && !this.detached) {
      const t = await this.runOnce(c, launch);
      if (this.stopping || this.detached) return;
      if (t && (policy === 'Never' || (policy === 'OnFailure' && t.exitCode === 0))) {
        c.final = true;
        return;
      }
      await this.backoffWait(c, t);
    }
  }

  private async backoffWait(c: Ctr, t: ContainerStateTerminated | undefined): Promise<void> {
    const ran = t?.startedAt ? Date.parse(t.finishedAt) - Date.parse(t.startedAt) : 0;
    const d = c.backoff.delay(ran);
    c.rec.backoffMs = c.backoff.current;
    this.save();
    if (t)
      c.waiting = {
        reason: 'CrashLoopBackOff',
        message: `back-off ${Math.round(d / 1000)}s restarting failed container=${c.name} pod=${this.pod.metadata.name}`,
      };
    await this.sleep(d);
  }

  private async launch(c: Ctr, o: LaunchOptions): Promise<Running> {
    const n = c.rec.lastTerminated ? c.rec.restartCount + 1 : c.rec.restartCount;
    const id = `${this.uid.replace(/-/g, '').slice(0, 12)}.${c.name}.${n}`;
    const bundle = join(this.stateDir, 'bundles', id);
    const l = await prepareContainer(this.ctx, this.pod, c.c, id, o, bundle);
    const log = join(this.dir, c.name, `${n}.log`);
    mkdirSync(join(this.dir, c.name), { recursive: true });
    pruneInstanceLogs(join(this.dir, c.name), n);
    const stdin = c.c.stdin ? await openContainerStdin(this.ctx, id, bundle, !!c.c.stdinOnce) : undefined;
    let r: Running;
    try {
      r = await startInstance(this.ctx, id, bundle, l.spec, log, l.release, stdin);
    } catch (e) {
      releaseContainerStdin(id);
      throw e;
    } finally {
      if (stdin !== undefined) closeSync(stdin);
    }
    c.rec.restartCount = n;
    return r;
  }

  /** One run of the container: start (or adopt) it, wait, record how it ended, clean up. */
  private async runOnce(c: Ctr, launch: LaunchOptions): Promise<ContainerStateTerminated | undefined> {
    let r: Running | undefined;
    const adopted = !!c.rec.current;
    if (c.rec.current) {
      r = await adoptInstance(this.ctx, c.rec.current, join(this.stateDir, 'bundles', c.rec.current.id));
      if (!r) {
        c.rec.lastTerminated = {
          exitCode: 137,
          reason: 'ContainerStatusUnknown',
          message: 'the container could not be located when the agent restarted',
          finishedAt: new Date().toISOString(),
        };
        c.rec.current = undefined;
        this.save();
        return c.rec.lastTerminated;
      }
    } else {
      try {
        c.waiting = undefined;
        r = await this.launch(c, launch);
      } catch (e) {
        c.waiting = {
          reason: /image|reference/i.test(msg(e)) ? 'ErrImagePull' : 'CreateContainerError',
          message: msg(e),
        };
        this.ctx.log(`pod ${this.rec.key} container ${c.name}: ${msg(e)}`);
        return undefined;
      }
      c.rec.current = r.rec;
    }
    c.running = r;
    c.waiting = undefined;
    this.save();
    // stop() came while the runtime was still starting it: nobody else will stop this run.
    if (this.stopping) void this.kill(c, 'pod stopping');
    if (!c.init) this.startProbes(c, r);
    const postStart = c.c.lifecycle?.postStart?.exec;
    if (postStart && !adopted) {
      const ok = await this.execIn(c, r, postStart.command, this.graceMs());
      if (!ok) void this.kill(c, 'FailedPostStartHook');
    }
    const code = await r.exited;
    if (this.detached) return undefined;
    const oom = (await this.ctx.cgroups.oomKills(`${this.podCgroup}/${r.rec.id}`)) > 0;
    releaseContainerStdin(r.rec.id);
    await cleanupInstance(this.ctx, r, join(this.stateDir, 'bundles', r.rec.id));
    const exitCode = code ?? 137;
    const t: ContainerStateTerminated = {
      exitCode,
      ...(exitCode > 128 ? { signal: exitCode - 128 } : {}),
      reason: oom ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error',
      startedAt: r.rec.startedAt,
      finishedAt: new Date().toISOString(),
    };
    c.rec.prevTerminated = c.rec.lastTerminated;
    c.rec.lastTerminated = t;
    c.rec.current = undefined;
    c.running = undefined;
    c.ready = false;
    c.started = false;
    this.save();
    return t;
  }

  private graceMs(): number {
    return (this.pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
  }

  private processOf(r: Running): Process {
    return (r.process ??= this.ctx.runtime.store.load(r.rec.id).config.process!);
  }

  private async execIn(c: Ctr, r: Running, cmd: string[], timeoutMs: number): Promise<boolean> {
    const res = await runProbe(
      { exec: { command: cmd }, timeoutSeconds: Math.ceil(timeoutMs / 1000) },
      {
        runtime: this.ctx.runtime,
        containerId: r.rec.id,
        process: this.processOf(r),
        container: c.c,
      },
    );
    return res.ok;
  }

  private startProbes(c: Ctr, r: Running): void {
    startProbes(c.c, c, {
      alive: () => c.running === r && !this.stopping && !this.detached && !c.killing,
      sleep: (ms) => this.sleep(ms),
      target: () => ({
        runtime: this.ctx.runtime,
        containerId: r.rec.id,
        process: this.processOf(r),
        container: c.c,
        ...(this.pod.spec.hostNetwork ? {} : { netnsPid: this.sandbox!.rec.pid }),
      }),
      fail: (kind) => this.kill(c, `${kind} probe failed`),
      log: (m) => this.ctx.log(`pod ${this.rec.key} ${m}`),
    });
  }

  /** Graceful stop of the running instance: preStop, SIGTERM, grace period, SIGKILL. */
  kill(c: Ctr, why: string, graceMs = this.graceMs()): Promise<void> {
    const r = c.running;
    if (!r) return Promise.resolve();
    c.killing ??= (async () => {
      this.ctx.log(`pod ${this.rec.key}: stopping ${c.name} (${why})`);
      const end = Date.now() + graceMs;
      const preStop = c.c.lifecycle?.preStop?.exec;
      if (preStop && graceMs > 0) await this.execIn(c, r, preStop.command, graceMs).catch(() => false);
      await this.ctx.runtime.kill(r.rec.id, 'SIGTERM').catch(() => undefined);
      const left = Math.max(0, end - Date.now());
      const gone = await Promise.race([
        r.exited.then(() => true),
        new Promise<boolean>((res) => setTimeout(res, left, false)),
      ]);
      if (!gone) await this.ctx.runtime.kill(r.rec.id, 'SIGKILL', { all: true }).catch(() => undefined);
      await r.exited;
    })().finally(() => (c.killing = undefined));
    return c.killing;
  }

  /** Stop everything of the pod and remove it (the manifest was removed or changed). */
  async stop(): Promise<void> {
    await this.evicting;
    this.stopping = true;
    for (const w of [...this.wakers]) w();
    await Promise.all(this.ctrs.map((c) => this.kill(c, 'pod stopping')));
    await this.done;
    await this.stopSandbox();
    await teardownVolumes(this.dir, this.ctx.spawner);
    await teardownShm(this.stateDir, this.ctx.spawner);
    await this.ctx.cgroups.removePod(this.podCgroup).catch((e) => this.ctx.log(`pod cgroup: ${msg(e)}`));
    this.ctx.store.remove(this.uid);
  }

  /** Node-pressure eviction: stop every container at once (the kubelet's hard eviction has no
   *  grace period), then the sandbox, and free the volumes (memory-backed emptyDirs); the pod
   *  stays, Failed with reason Evicted, until its manifest goes. */
  evict(message: string): Promise<void> {
    if (this.stopping || this.detached) return Promise.resolve();
    this.evicting = this.doEvict(message);
    return this.evicting;
  }

  private async doEvict(message: string): Promise<void> {
    this.rec.evicted = message;
    this.save();
    this.stopping = true;
    for (const w of [...this.wakers]) w();
    for (const c of this.ctrs) {
      c.final = true;
      c.waiting = undefined;
    }
    await Promise.all(this.ctrs.map((c) => this.kill(c, 'evicted', 0)));
    await this.done;
    await this.stopSandbox();
    await teardownVolumes(this.dir, this.ctx.spawner);
    await teardownShm(this.stateDir, this.ctx.spawner);
  }

  private async stopSandbox(): Promise<void> {
    // Network first, as the kubelet's StopPodSandbox: DEL while the namespace is still pinned.
    if (this.needsNetwork && this.rec.sandbox)
      await this.ctx
        .network!.teardown(this.rec.sandbox.id)
        .catch((e) => this.ctx.log(`pod ${this.rec.key}: network teardown: ${msg(e)}`));
    if (this.sandbox) {
      await this.ctx.runtime.kill(this.sandbox.rec.id, 'SIGKILL', { all: true }).catch(() => undefined);
      await this.sandbox.exited;
      await cleanupInstance(this.ctx, this.sandbox, join(this.stateDir, 'bundles', this.sandbox.rec.id));
    } else if (this.rec.sandbox) {
      await this.ctx.runtime.delete(this.rec.sandbox.id, { force: true }).catch(() => undefined);
    }
    const hadIPs = !!this.rec.sandbox?.ips;
    this.sandbox = undefined;
    this.rec.sandbox = undefined;
    this.save();
    if (hadIPs) this.ctx.onNetworkChange();
  }

  /** The pod's addresses (empty until CNI ADD succeeded, or without a node network). */
  get ips(): string[] {
    return this.rec.sandbox?.ips ?? [];
  }

  get key(): string {
    return this.rec.key;
  }

  qos(): QOSClass {
    return qosClass(this.pod);
  }

  /** Working set and memory request of each running app container (for eviction ranking);
   *  undefined when the pod is stopping or was evicted. */
  async memoryUsage(): Promise<ContainerUsage[] | undefined> {
    if (this.stopping || this.detached) return undefined;
    const out: ContainerUsage[] = [];
    for (const c of this.ctrs) {
      const r = c.running;
      if (!r || c.init) continue;
      const st = await this.ctx.driver
        .manager(`${this.podCgroup}/${r.rec.id}`)
        .stats()
        .catch(() => undefined);
      out.push({
        name: c.name,
        usage: st?.memory.workingSet ?? 0,
        request: containerAmounts(c.c).requests.memory ?? 0,
      });
    }
    return out;
  }

  /** Leave the pod running for the next agent: stop reading logs and probing. */
  detach(): void {
    this.detached = true;
    for (const w of [...this.wakers]) w();
    for (const c of this.ctrs) c.running?.writer?.detach();
  }

  /** Host PID of a running container (for exec). */
  running(
    name?: string,
  ): { id: string; pid: number; process: Process; name: string; terminal?: TerminalControl } | undefined {
    const c = name ? this.ctrs.find((x) => x.name === name) : this.ctrs.find((x) => !x.init);
    if (!c?.running) return undefined;
    const r = c.running;
    return { id: r.rec.id, pid: r.rec.pid, process: this.processOf(r), name: c.name, terminal: r.terminal };
  }

  containerNames(): string[] {
    return this.ctrs.map((c) => c.name);
  }

  status(): PodStatus {
    return podStatus(this.pod, this.ctrs, {
      qos: qosClass(this.pod),
      startTime: this.rec.createdAt,
      initFailed: this.initFailed,
      ...(this.rec.sandbox?.ips?.length ? { podIPs: this.rec.sandbox.ips } : {}),
      ...(this.rec.evicted
        ? { evicted: true, reason: 'Evicted', message: this.rec.evicted }
        : this.message
          ? { message: this.message }
          : {}),
    });
  }

  get sandboxPid(): number | undefined {
    return this.sandbox?.rec.pid;
  }

  get sandboxIdValue(): string {
    return sandboxId(this.pod);
  }
}
