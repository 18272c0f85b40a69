// `start`, in the process that then waits for the container (the foreground `corral run`, or the
// monitor of `run -d`): prepare the root filesystem, resolve the user, write the OCI config and
// create and start the container with the given stdio. On failure everything is removed again.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

import type { CreateOptions } from '../oci/runtime.js';
import type { PrespawnedHelper } from '../oci/kernel.js';
import type { TerminalRelayOptions } from '../oci/terminal.js';
import type { EngineContext, Stdio } from './context.js';
import { hostsFile } from './create.js';
import { EngineError, commandErrorCode, oneLine } from './errors.js';
import type { ImageRecord } from './images.js';
import { buildSpec } from './spec.js';
import type { ContainerRecord } from './store.js';
import { consoleSize, type TerminalRequest } from './terminal.js';
import { trace } from './trace.js';
import { resolveUser } from './user.js';
import { isoTime } from '../util/iso-time.js';
import { joinClean } from '../util/join-clean.js';

export async function startContainer(
  ctx: EngineContext,
  id: string,
  stdio: Stdio,
  terminal?: TerminalRequest,
  prespawned?: PrespawnedHelper,
): Promise<number> {
  const { store, runtime } = ctx;
  const rec = ctx.records.get(id) ?? store.load(id);
  const dir = store.dir(id);
  try {
    const image = ctx.resolved.get(id) ?? (await resolveAgain(ctx, rec));
    const prepared = await ctx.images.prepareRootfs(image, id, { volatile: !!rec.run.rm });
    ctx.prepared.set(id, prepared);
    trace('rootfs prepared');
    rec.rootfs = prepared.rootfs;
    const cfg = image.config.config ?? {};
    const userSpec = rec.run.user ?? (cfg.User || '0');
    rec.user = resolveUser(prepared.read, userSpec, rec.run.user ? '-u' : `image ${rec.image}: User`);
    store.updateRecord(rec);
    const resolvConf =
      rec.run.network === 'host' && existsSync('/etc/resolv.conf')
        ? joinClean(dir, 'resolv.conf')
        : undefined;
    if (resolvConf) writeFileSync(resolvConf, readFileSync('/etc/resolv.conf'));
    const spec = buildSpec({
      id,
      run: rec.run,
      image: cfg,
      rootfs: prepared.rootfs,
      ...(prepared.mount ? { rootMount: prepared.mount } : {}),
      user: rec.user,
      hostname: rec.hostname,
      etc: {
        hostname: joinClean(dir, 'hostname'),
        hosts: joinClean(dir, 'hosts'),
        ...(resolvConf ? { resolvConf } : {}),
      },
      cgroupsPath: rec.cgroupsPath,
    });
    // The working directory is made when missing, as podman does (not in a read-only rootfs).
    if (!rec.run.readOnly) prepared.ensureDir(spec.process!.cwd);
    const size = spec.process!.terminal ? consoleSize(terminal) : undefined;
    if (size) spec.process!.consoleSize = size;
    writeFileSync(joinClean(dir, 'config.json'), JSON.stringify(spec));
    trace('config written');
    // -t: the container gets a pty of its own, relayed by the helper (src/oci/terminal.ts).
    const createOpts: CreateOptions & TerminalRelayOptions = {
      detached: false,
      stdio,
      ...(spec.process!.terminal ? { terminalRelay: { onStarted: (t) => terminal?.onStarted?.(t) } } : {}),
    };
    let pid: number;
    if (rec.run.network === 'bridge') {
      pid = (await runtime.create(id, dir, { ...createOpts, spec })).pid;
      trace('runtime created');
      // Between create and start, as podman: the process exists (its namespaces do) but has not
      // run, so it starts with eth0 up and its address in /etc/hosts.
      await attach(ctx, rec, pid);
      await runtime.start(id);
    } else {
      // Nothing to do in between: one step, no exec fifo to make, open and remove.
      pid = (
        await runtime.createStarted(id, dir, { ...createOpts, spec, ...(prespawned ? { prespawned } : {}) })
      ).pid;
    }
    trace('runtime started');
    store.patchState(id, {
      status: 'running',
      pid,
      startedAt: isoTime(),
      monitorPid: process.pid,
    });
    return pid;
  } catch (e) {
    const why = await helperError(ctx, id, e);
    await cleanupFailedStart(ctx, rec);
    throw startError(why ?? e);
  }
}

/**
 * When the container's process died between create and start, the helper's report of why (a
 * mount that failed, a missing command) is the error to show; it arrives with the helper's exit.
 */
async function helperError(ctx: EngineContext, id: string, e: unknown): Promise<Error | undefined> {
  if (!/exited before start/.test(oneLine(e))) return undefined;
  const exited = ctx.runtime.wait(id).catch(() => undefined);
  await Promise.race([exited, new Promise((r) => setTimeout(r, 1000).unref())]);
  const late = ctx.lateErrors.get(id);
  return late ? new Error(late) : undefined;
}

/** eth0 on the bridge network, with the published ports; the address goes into /etc/hosts. */
async function attach(ctx: EngineContext, rec: ContainerRecord, pid: number): Promise<void> {
  const publish = rec.run.publish ?? [];
  rec.ips = await (
    await ctx.network()
  ).setup(rec.id, pid, {
    capabilityArgs: publish.length
      ? {
          portMappings: publish.map((p) => ({
            hostPort: p.hostPort,
            containerPort: p.containerPort,
            protocol: p.protocol,
            ...(p.hostIP ? { hostIP: p.hostIP } : {}),
          })),
        }
      : {},
  });
  ctx.store.updateRecord(rec);
  writeFileSync(joinClean(ctx.store.dir(rec.id), 'hosts'), hostsFile(rec.hostname, rec.ips[0]));
}

async function resolveAgain(ctx: EngineContext, rec: ContainerRecord): Promise<ImageRecord> {
  const image = await ctx.images.resolve(rec.imageName).catch(() => ctx.images.resolve(rec.image));
  if (image.digest !== rec.imageDigest) {
    throw new EngineError(`image ${rec.image} changed since the container was created; create it again`);
  }
  return image;
}

async function cleanupFailedStart(ctx: EngineContext, rec: ContainerRecord): Promise<void> {
  await ctx.detach(rec);
  await ctx.runtime.delete(rec.id, { force: true }).catch(() => undefined);
  await releaseRootfs(ctx, rec.id);
  ctx.store.remove(rec.id, rec.name);
  ctx.records.delete(rec.id);
}

/** Release the root filesystem this process prepared for the container (no-op otherwise). */
export async function releaseRootfs(ctx: EngineContext, id: string): Promise<void> {
  const p = ctx.prepared.get(id);
  ctx.prepared.delete(id);
  await p?.release().catch(() => undefined);
}

/** A start-time error as the CLI reports it: the command's 126/127, else 125. */
export function startError(e: unknown): EngineError {
  if (e instanceof EngineError) return e;
  const msg = oneLine(e);
  const code = commandErrorCode(msg);
  if (code !== undefined) {
    const m = /^(?:arg|exec) ([^:]*):/.exec(msg.replace(/^arg: /, 'arg '));
    return new EngineError(
      code === 127
        ? `${m?.[1] ?? 'the command'}: executable file not found in $PATH; check the command and the image`
        : `${msg}; check the command's permissions and format`,
      code,
    );
  }
  return new EngineError(`cannot start the container: ${msg}`);
}
