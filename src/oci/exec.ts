// `exec`: another process in a running container; it joins all of the init's namespaces and its
// cgroup (the plan's ns-join records), with the container's seccomp profile.
import { startPlan } from '../kernel/plan/helper.js';
import { fdList, writePidFile, type RuntimeCore } from './core.js';
import { exitCode, INHERIT } from './create.js';
import { OciError } from './errors.js';
import { buildExecPlan } from './plan-builder.js';
import type { ExecOptions, ExecResult } from './runtime.js';
import type { Process } from './spec.js';
import { relayPlanOption, type TerminalRelayOptions } from './terminal.js';

export async function exec(
  rt: RuntimeCore,
  id: string,
  proc: Process,
  o: ExecOptions & TerminalRelayOptions,
): Promise<ExecResult> {
  const r = rt.store.load(id);
  const status = await rt.statusOf(r);
  if (status !== 'running' && status !== 'created') {
    throw new OciError(`cannot exec in container "${id}": it is ${status}`);
  }
  const detached = o.detach ?? false;
  const p: Process = { ...proc, terminal: o.tty ?? proc.terminal };
  const [seccompBpf, mgr] = await Promise.all([rt.seccompPath(r.config), rt.manager(r)]);
  const relay = relayPlanOption(p, o);
  const plan = buildExecPlan(p, {
    initPid: r.pid!,
    spec: r.config,
    detached,
    consoleSocket: o.consoleSocket,
    preserveFds: fdList(o.preserveFds).length,
    seccompBpf,
    allowTerminalWithoutSocket: !detached,
    terminalRelay: relay,
  });
  const started = await startPlan(plan, {
    stdio: o.stdio ?? INHERIT,
    preserveFds: fdList(o.preserveFds),
    detached: detached || !!rt.opts.helperSession,
    helper: rt.opts.helperPath,
    spawner: rt.opts.spawner,
    onPid: async (pid) => {
      await mgr?.addProcess(pid);
    },
    stateJson: () => JSON.stringify(rt.store.ociState(r, status)),
  });
  if (o.pidFile) writePidFile(o.pidFile, started.pid);
  if (relay) o.terminalRelay?.onStarted?.({ resize: started.resize });
  const exited = detached
    ? undefined
    : started.exited.then((e) => {
        if (e.error) rt.log('error', `exec in ${id}: ${e.error.message}`);
        return exitCode(e);
      });
  return { pid: started.pid, exited };
}
