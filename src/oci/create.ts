// `create` (and the fifo-less create of a foreground `run`): validate the bundle, make the cgroup,
// compile seccomp, build the plan and hand it to corral-helper; undo everything when a step fails.
import { statSync } from 'node:fs';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import type { CgroupManager, LinuxResources } from '../kernel/cgroup/types.js';
import { startPlan, type StartedPlan, type StdioSpec } from '../kernel/plan/helper.js';
import { fdList, writePidFile, type RuntimeCore } from './core.js';
import { deviceRules } from './devices.js';
import { loadBundle } from './bundle.js';
import { validateSpec } from './validate.js';
import { OciError, oneLine } from './errors.js';
import { saveFrontRecord } from './front-record.js';
import { runHooks } from './hooks.js';
import { buildCreatePlan, rootfsPath } from './plan-builder.js';
import { procStat, processAlive, waitGone } from './proc.js';
import type { CreateOptions, Created } from './runtime.js';
import type { ContainerStatus, OciState } from './spec.js';
import { checkId, type ContainerRecord } from './state.js';
import { relayPlanOption, type TerminalRelayOptions } from './terminal.js';
import { isoTime } from '../util/iso-time.js';
import { joinClean } from '../util/join-clean.js';

export const INHERIT: [StdioSpec, StdioSpec, StdioSpec] = ['inherit', 'inherit', 'inherit'];

/** Exit status as a shell reports it (128+signal when killed). */
export function exitCode(e: { code: number | null; signal: NodeJS.Signals | null; error?: Error }): number {
  if (e.code !== null) return e.code;
  return 128 + (e.signal ? (constants.signals[e.signal] ?? 0) : 0);
}

/**
 * What status checks and delete need of the cgroup, noted so that they need no driver: the file
 * the driver's frozen() reads, and the directories (freezer last: see lifecycle.ts removeEmpty);
 * and the directories by hierarchy, from which a driver in another process reopens it.
 */
function cgroupNotes(
  mgr: CgroupManager,
): Pick<ContainerRecord, 'freezerFile' | 'cgroupDirs' | 'cgroupDirMap'> {
  const dirs = mgr.dirs();
  const freezer = mgr.mode === 'v2' ? dirs.unified : dirs.freezer;
  const all = [...new Set(Object.values(dirs))].filter((d) => d !== freezer);
  return {
    freezerFile: freezer ? joinClean(freezer, mgr.mode === 'v2' ? 'cgroup.events' : 'freezer.state') : '',
    cgroupDirs: freezer ? [...all, freezer] : all,
    cgroupDirMap: dirs,
  };
}

/** `fifo`: the process waits for `start` on the exec fifo (false: it execs once set up). */
export async function create(
  rt: RuntimeCore,
  id: string,
  bundle: string,
  o: CreateOptions & TerminalRelayOptions,
  fifo: boolean,
): Promise<Created> {
  checkId(id);
  const bundleDir = resolve(bundle);
  const spec = o.spec ? validateSpec(o.spec) : loadBundle(bundleDir);
  const rootfs = rootfsPath(spec, bundleDir);
  try {
    if (!statSync(rootfs).isDirectory()) throw new Error();
  } catch {
    throw new OciError(`is not a directory: ${rootfs}`, 'root.path');
  }
  const detached = o.detached ?? true;
  const preserve = fdList(o.preserveFds);
  const { store } = rt;
  store.reserve(id);
  const r: ContainerRecord = {
    id,
    bundle: bundleDir,
    created: isoTime(),
    annotations: spec.annotations,
    config: spec,
    // In the first save already: a create that dies after making the cgroup (before the pid is
    // saved) leaves a record whose forced delete still finds and removes it.
    cgroupsPath: spec.linux?.cgroupsPath || id,
  };
  const configJson = JSON.stringify(spec);
  let mgr: CgroupManager | undefined;
  let made: Promise<void> | undefined;
  let started: StartedPlan | undefined;
  let pidSave: NodeJS.Immediate | undefined;
  try {
    await store.withLock(id, async () => {
      // For other processes' `state`/`list` while the helper starts (it shows `creating`); no
      // other process reads an exclusive root, and recovery needs the pid, saved below.
      if (!store.exclusive) store.save(r, configJson);
      // The helper makes the fifo (mkfifo 0622) before it reports the pid.
      const execFifo = fifo ? store.fifo(id) : undefined;
      const [driver, seccompBpf] = await Promise.all([rt.cgroups(), rt.seccompPath(spec)]);
      rt.log(
        'debug',
        `create ${id}: cgroup driver ${driver ? 'open' : 'none'}${seccompBpf ? ', seccomp compiled' : ''}`,
      );
      if (driver) {
        mgr = driver.manager(spec.linux?.cgroupsPath || id);
        const resources: LinuxResources = {
          ...spec.linux?.resources,
          devices: deviceRules(spec.linux?.resources?.devices, spec.linux?.devices),
        };
        // Made while the helper starts (spawn, exec, the namespaces' clone): its child waits for
        // the reply to its pid, which waits for the cgroup (onPid). Resources the driver rejects
        // before touching the kernel still fail before the helper starts.
        made = mgr.create(resources);
        made.catch(() => undefined); // awaited in onPid, and below on failure
        await Promise.race([made, undefined]);
        r.cgroupsPath = spec.linux?.cgroupsPath || id;
        r.cgroupPath = mgr.path;
        Object.assign(r, cgroupNotes(mgr));
      } else {
        delete r.cgroupsPath;
        r.freezerFile = '';
      }
      if (!detached) r.exitStatusFile = store.exitFile(id);
      const plan = buildCreatePlan(spec, {
        bundle: bundleDir,
        execFifo,
        noPivot: o.noPivot,
        consoleSocket: o.consoleSocket,
        preserveFds: preserve.length,
        detached,
        exitStatusFile: r.exitStatusFile,
        seccompBpf,
        allowTerminalWithoutSocket: !detached,
        terminalRelay: detached ? undefined : relayPlanOption(spec.process!, o),
        cgroup: mgr ? { mode: mgr.mode, dirs: mgr.dirs() } : undefined,
        // The helper joins the process to the cgroup as our `go` (after onPid) passes it.
        cgroupProcs: mgr?.procsFiles(),
      });
      const state = (status: ContainerStatus): OciState => store.ociState(r, status);
      rt.log('debug', `create ${id}: plan ready, starting the helper`);
      started = await startPlan(plan, {
        stdio: o.stdio ?? INHERIT,
        preserveFds: preserve,
        detached: detached || !!rt.opts.helperSession,
        helper: rt.opts.helperPath,
        spawner: rt.opts.spawner,
        prespawned: o.prespawned,
        onPid: async (pid) => {
          rt.log('debug', `create ${id}: helper reported pid ${pid}`);
          r.pid = pid;
          r.pidStartTime = procStat(pid)?.startTime;
          await made;
          if (mgr) rt.log('debug', `create ${id}: cgroup ${mgr.path} made`);
          // Saved once our `go` is on its way, while the child mounts. Should we die before, the
          // helper reads EOF and kills it: that pid needs no record.
          pidSave = setImmediate(() => {
            pidSave = undefined;
            store.save(r, configJson);
          });
        },
        onPrestart: async () => {
          await runHooks('createRuntime', spec.hooks?.createRuntime, state('creating'));
          await runHooks('prestart', spec.hooks?.prestart, state('creating'));
        },
        // The OCI state is for hooks (the helper's child runs createContainer and startContainer).
        ...(spec.hooks && Object.values(spec.hooks).some((h) => h?.length)
          ? { stateJson: (pid: number) => JSON.stringify({ ...state('creating'), pid }) }
          : {}),
      });
      rt.log('debug', `create ${id}: created`);
      clearImmediate(pidSave); // this save has it all
      r.pid = started.pid;
      r.pidStartTime ??= procStat(started.pid)?.startTime;
      r.ready = true;
      if (!fifo) r.started = true;
      store.save(r, configJson);
      if (fifo && detached) saveFrontRecord(store.dir(id), r);
      if (!detached) {
        rt.exits.set(
          id,
          started.exited.then(async (e) => {
            if (e.error) rt.log('error', `container ${id}: ${e.error.message}`);
            // Neither code nor signal: its spawner (the `corral` front) went away and the helper
            // ended unwatched; it wrote the status to the exit status file.
            if (e.code === null && e.signal === null)
              return (await import('./lifecycle.js')).readExitFile(r) ?? exitCode(e);
            return exitCode(e);
          }),
        );
      }
      if (o.pidFile) writePidFile(o.pidFile, started.pid);
      const startedPlan = started;
      if (!detached && relayPlanOption(spec.process!, o))
        o.terminalRelay?.onStarted?.({ resize: (rows, cols) => startedPlan.resize(rows, cols) });
      o.onCreated?.(started.pid);
    });
  } catch (e) {
    clearImmediate(pidSave); // the record goes
    // A cgroup that could not be made is the error (it was the first step before the overlap).
    const cgroupError = await made?.then(
      () => undefined,
      (err: unknown) => err,
    );
    await destroyFailed(rt, r, mgr, started);
    throw cgroupError ?? e;
  }
  rt.log('debug', `created ${id} pid ${r.pid}`);
  return { pid: r.pid!, startTime: r.pidStartTime, helperPid: started?.helper.pid };
}

async function destroyFailed(
  rt: RuntimeCore,
  r: ContainerRecord,
  mgr: CgroupManager | undefined,
  started?: StartedPlan,
): Promise<void> {
  const pid = started?.pid ?? r.pid;
  try {
    if (pid && processAlive(pid, r.pidStartTime)) process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
  // The helper reaps the container process; give it the chance so no zombie is left to a
  // PID 1 that may not reap orphans, and only then kill it.
  if (started && started.helper.exitCode === null) {
    const exited = await Promise.race([
      started.exited.then(() => true),
      new Promise<false>((res) => setTimeout(res, 2000, false)),
    ]);
    if (!exited) started.helper.kill('SIGKILL');
  }
  if (pid) await waitGone(pid, r.pidStartTime, 5000);
  await mgr?.remove().catch((e) => rt.log('warn', `cgroup cleanup of ${r.id}: ${oneLine(e)}`));
  rt.store.remove(r.id);
}
