// Hooks the runtime runs itself (in the runtime's namespaces): createRuntime, prestart (legacy),
// poststart, poststop. createContainer/startContainer run inside the container (plan records).
// Each hook gets the container state JSON on stdin (runtime-spec config.md "POSIX-platform Hooks").
import { spawn } from 'node:child_process';
import { OciError } from './errors.js';
import type { Hook, HookStage, OciState } from './spec.js';

function envObject(env: string[] | undefined): Record<string, string> {
  const o: Record<string, string> = {};
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) o[e.slice(0, i)] = e.slice(i + 1);
  }
  return o;
}

export function runHook(stage: HookStage, index: number, hook: Hook, state: OciState): Promise<void> {
  const name = `hooks.${stage}[${index}] (${hook.path})`;
  return new Promise((resolve, reject) => {
    const args = hook.args ?? [hook.path];
    const child = spawn(hook.path, args.slice(1), {
      argv0: args[0] ?? hook.path,
      env: envObject(hook.env),
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-500);
    });
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (hook.timeout) {
      timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, hook.timeout * 1000);
    }
    child.stdin!.on('error', () => {
      /* the hook did not read its stdin: fine */
    });
    child.stdin!.end(JSON.stringify(state));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new OciError(`${name}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const why = timedOut
        ? `timed out after ${hook.timeout}s`
        : signal
          ? `killed by ${signal}`
          : `exit status ${code}`;
      const tail = stderr.trim().split('\n').pop();
      reject(new OciError(`${name} failed: ${why}${tail ? `: ${tail}` : ''}`));
    });
  });
}

/** Run the hooks of one stage in order; the first failure stops them (createRuntime, prestart). */
export async function runHooks(stage: HookStage, hooks: Hook[] | undefined, state: OciState): Promise<void> {
  for (const [i, h] of (hooks ?? []).entries()) await runHook(stage, i, h, state);
}

/** Run every hook of a stage, reporting failures as warnings (poststart, poststop). */
export async function runHooksWarn(
  stage: HookStage,
  hooks: Hook[] | undefined,
  state: OciState,
  warn: (msg: string) => void,
): Promise<void> {
  for (const [i, h] of (hooks ?? []).entries()) {
    try {
      await runHook(stage, i, h, state);
    } catch (e) {
      warn((e as Error).message);
    }
  }
}
