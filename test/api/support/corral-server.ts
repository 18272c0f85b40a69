// Starts the real `corral server` (HTTPS, SQLite, a free port on 127.0.0.1) in a temp data dir
// and runs the real kubectl against the kubeconfig it writes. Everything is removed on stop().
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

export interface RunningServer {
  dir: string;
  kubeconfig: string;
  url: string;
  kubectl(
    args: string[],
    opts?: { input?: string; timeoutMs?: number },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Starts kubectl without waiting (watches); the caller must kill it. */
  spawnKubectl(args: string[]): ChildProcess;
  stop(): Promise<void>;
  /** kill -9, leaving the data dir. */
  crash(): Promise<void>;
}

/** `dir`: reuse a data dir (the caller removes it); default a fresh one that stop() removes. */
export async function startCorralServer(extraArgs: string[] = [], reuseDir?: string): Promise<RunningServer> {
  const dir = reuseDir ?? mkdtempSync(join(tmpdir(), 'corral-api-'));
  const ownDir = !reuseDir;
  const child = spawn(
    process.execPath,
    [MAIN, '--data-dir', dir, 'server', '--listen', '127.0.0.1:0', ...extraArgs],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`corral server did not start: ${stderr}`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /serving the Kubernetes API at (\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`corral server exited with ${code}: ${stderr}`));
    });
  }).catch((e: unknown) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  const kubeconfig = join(dir, 'kubeconfig');
  const env = { ...process.env, KUBECONFIG: kubeconfig, HOME: dir, KUBECACHEDIR: join(dir, 'kube-cache') };
  return {
    dir,
    kubeconfig,
    url,
    kubectl: (args, opts = {}) =>
      new Promise((resolve) => {
        const p = execFile(
          'kubectl',
          args,
          { env, timeout: opts.timeoutMs ?? 60_000 },
          (err, stdout, stderr) => {
            const code = err
              ? typeof (err as { code?: unknown }).code === 'number'
                ? (err as { code: number }).code
                : 1
              : 0;
            resolve({ code, stdout, stderr });
          },
        );
        if (opts.input !== undefined) p.stdin!.end(opts.input);
      }),
    spawnKubectl: (args) => spawn('kubectl', args, { env, stdio: ['ignore', 'pipe', 'pipe'] }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
    crash: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
