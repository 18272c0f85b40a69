// Running one plugin binary: find it on the plugin path, pass the CNI_* environment and the
// configuration on stdin, read the result or the error from stdout. With `hostNetns` the plugin
// runs inside that network namespace through `nsenter --net=` (nsenter setns()es and execs, so
// the child's pid is the plugin's and a timeout kill reaches it).
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CNI_ERR_BAD_OUTPUT,
  CNI_ERR_PLUGIN_EXIT,
  CNI_ERR_PLUGIN_NOT_FOUND,
  CNI_ERR_PLUGIN_TIMEOUT,
  CniError,
} from './errors.js';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'STATUS' | 'GC' | 'VERSION';

export const DEFAULT_BIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface InvokeRequest {
  /** The plugin type, for errors. */
  plugin: string;
  /** Absolute path of the binary (see findPlugin). */
  path: string;
  command: CniCommand;
  /** CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS as they apply to the command. */
  env: Record<string, string>;
  binDirs: string[];
  stdin: unknown;
  hostNetns?: string;
  timeoutMs?: number;
}

/** The first executable `type` on `binDirs`. */
export async function findPlugin(type: string, binDirs: string[], command = 'ADD'): Promise<string> {
  for (const dir of binDirs) {
    const p = join(dir, type);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // not in this directory
    }
  }
  throw new CniError({
    plugin: type,
    command,
    code: CNI_ERR_PLUGIN_NOT_FOUND,
    msg: `no executable "${type}" in ${binDirs.join(':')}`,
    details: 'install the plugin (Debian: containernetworking-plugins) or set the plugin path',
  });
}

// Plugins shell out (iptables, tc), so PATH must reach the sbin directories even when the caller's
// PATH does not.
function pluginPath(path: string | undefined): string {
  const dirs = (path ?? '').split(':').filter(Boolean);
  for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'])
    if (!dirs.includes(d)) dirs.push(d);
  return dirs.join(':');
}

/** Run the plugin; resolves with its parsed stdout (undefined when empty), rejects with CniError. */
export function invokePlugin(req: InvokeRequest): Promise<unknown> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: pluginPath(process.env.PATH),
    CNI_COMMAND: req.command,
    CNI_PATH: req.binDirs.join(':'),
    ...req.env,
  };
  const argv = req.hostNetns ? ['nsenter', `--net=${req.hostNetns}`, '--', req.path] : [req.path];
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fail = (code: number, msg: string, details?: string): CniError =>
    new CniError({ plugin: req.plugin, command: req.command, code, msg, details });

  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // A plugin that exits without reading stdin makes the write fail with EPIPE; its exit tells more.
    child.stdin.on('error', () => {});
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(fail(CNI_ERR_PLUGIN_EXIT, `could not run ${argv[0]}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8').trim();
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (timedOut)
        return reject(fail(CNI_ERR_PLUGIN_TIMEOUT, `did not finish within ${timeoutMs} ms; killed`));
      let parsed: unknown;
      let parseError: string | undefined;
      if (stdout !== '') {
        try {
          parsed = JSON.parse(stdout);
        } catch (e) {
          parseError = (e as Error).message;
        }
      }
      if (code === 0) {
        if (parseError) return reject(fail(CNI_ERR_BAD_OUTPUT, `stdout is not JSON (${parseError})`, stdout));
        return resolve(parsed);
      }
      const e = parsed as { code?: unknown; msg?: unknown; details?: unknown } | undefined;
      if (e && typeof e === 'object' && typeof e.code === 'number' && typeof e.msg === 'string') {
        const details = typeof e.details === 'string' && e.details !== '' ? e.details : undefined;
        return reject(fail(e.code, e.msg, details));
      }
      const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      const said = lastLines(stderr || stdout);
      reject(fail(CNI_ERR_PLUGIN_EXIT, `${how}${said ? `: ${said}` : ' without an error message'}`));
    });
    child.stdin.end(req.stdin === undefined ? '' : JSON.stringify(req.stdin));
  });
}

// The end of stderr usually says what went wrong; a Go panic says it in its first line instead.
function lastLines(s: string): string {
  const lines = s.split('\n');
  const panic = lines.find((l) => l.startsWith('panic: '));
  return (panic ?? lines.slice(-3).join(' ')).slice(-500);
}
