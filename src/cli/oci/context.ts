// What every corral-oci command shares: the global flags, the logger (--log, --log-format) and
// the Runtime, imported lazily so `corral-oci --help` does not load it.
import { appendFileSync } from 'node:fs';
import type { LogLevel, Runtime } from '../../oci/runtime.js';

export interface GlobalOptions {
  root?: string;
  log?: string;
  logFormat?: string;
  debug?: boolean;
  systemdCgroup?: boolean;
  cgroupRoot?: string;
}

export class Context {
  constructor(readonly opts: GlobalOptions) {}

  /** To --log when given, else warnings and errors (and debug with --debug) to stderr. */
  log(level: LogLevel, msg: string, fileOnly = false): void {
    const o = this.opts;
    if (level === 'debug') {
      if (!o.debug) return;
      // When in the process's life: where a command's time goes (node's start is most of it).
      msg += ` (${performance.now().toFixed(1)} ms)`;
    }
    if (o.log) {
      const time = new Date().toISOString();
      const line =
        o.logFormat === 'json'
          ? JSON.stringify({ level, msg, time }) + '\n'
          : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
      try {
        appendFileSync(o.log, line);
      } catch {
        /* the log is best effort */
      }
    } else if (!fileOnly && (level === 'warn' || level === 'error' || o.debug)) {
      process.stderr.write(`corral-oci: ${level}: ${msg}\n`);
    }
  }

  private runtimeModule?: Promise<typeof import('../../oci/runtime.js')>;

  /** Start loading the runtime (in parallel with the verb's module: one import round less). */
  preload(): void {
    this.runtimeModule ??= import('../../oci/runtime.js');
    this.runtimeModule.catch(() => undefined); // reported by runtime()
  }

  async runtime(): Promise<Runtime> {
    const o = this.opts;
    if (o.systemdCgroup) {
      throw new Error(
        '--systemd-cgroup is not supported: Corral manages cgroupfs directly (drop the flag, or set cgroup_manager = "cgroupfs" in containers.conf)',
      );
    }
    this.preload();
    const { Runtime } = await this.runtimeModule!;
    this.log('debug', 'runtime loaded');
    return new Runtime({ root: o.root, cgroupRoot: o.cgroupRoot, log: (l, m) => this.log(l, m) });
  }
}

export function intArg(v: string, flag: string): number {
  if (!/^-?\d+$/.test(v)) throw new Error(`${flag}: "${v}" is not an integer`);
  return Number(v);
}

export function printJson(v: unknown): void {
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
}
