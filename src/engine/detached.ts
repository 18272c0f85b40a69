// `corral run -d`: the container is created here, then handed to a monitor process (./monitor.ts,
// in its own session) that starts it with its output in ctr.log and waits for it; this resolves
// once the monitor reports that it runs (or why it could not start).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { ContainerNetworkOptions } from '../network/container-network.js';
import type { EngineContext, EngineOptions } from './context.js';
import { createContainer } from './create.js';
import { EngineError, oneLine } from './errors.js';
import type { RunRequest } from './options.js';
import type { ContainerRecord } from './store.js';
import { joinClean } from '../util/join-clean.js';

/** The monitor next to this module: monitor.js, or in the CommonJS bundle monitor.cjs. */
export function monitorPath(): string {
  const here = fileURLToPath(import.meta.url);
  return joinClean(dirname(here), here.endsWith('.cjs') ? 'monitor.cjs' : 'monitor.js');
}

/** Node flags of the monitor: a small heap, it only waits. */
const MONITOR_FLAGS = ['--max-old-space-size=16', '--max-semi-space-size=1'];

export interface MonitorOptions {
  dataDir: string;
  helperPath?: string;
  cgroupRoot?: string;
  network?: ContainerNetworkOptions;
}

function monitorOptions(o: EngineOptions): MonitorOptions {
  return {
    dataDir: o.dataDir,
    ...(o.helperPath ? { helperPath: o.helperPath } : {}),
    ...(o.cgroupRoot ? { cgroupRoot: o.cgroupRoot } : {}),
    ...(o.network ? { network: o.network } : {}),
  };
}

export async function runDetached(ctx: EngineContext, req: RunRequest): Promise<ContainerRecord> {
  const rec = await createContainer(ctx, req);
  const args = [...MONITOR_FLAGS, monitorPath(), JSON.stringify(monitorOptions(ctx.opts)), rec.id];
  let report = '';
  try {
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    });
    const pipe = child.stdio[3] as Readable;
    pipe.setEncoding('utf8');
    pipe.on('data', (d: string) => (report += d));
    await new Promise<void>((res, rej) => {
      pipe.on('close', () => res());
      child.on('error', rej);
    });
    child.unref();
  } catch (e) {
    ctx.store.remove(rec.id, rec.name);
    throw new EngineError(`cannot start the container monitor: ${oneLine(e)}`);
  }
  const [kind, code, ...msg] = report.trim().split('\t');
  if (kind === 'started') return rec;
  // The monitor removed what it made; an early crash may have left the record.
  if (existsSync(ctx.store.dir(rec.id))) ctx.store.remove(rec.id, rec.name);
  if (kind === 'error') throw new EngineError(msg.join('\t'), Number(code) || 125);
  throw new EngineError(`the container monitor exited without reporting (${report.trim() || 'no output'})`);
}
