// Compile an OCI seccomp profile to classic BPF with the helper, cached by content hash (as crun
// does): <cacheDir>/<sha256 of the profile text>.bpf. Compiling costs ~10 ms; a cache hit a stat.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';

import { helperPath } from '../plan/helper.js';
import type { PlanRecord } from '../plan/plan.js';
import { seccompProfile } from './profile.js';
import { joinClean } from '../../util/join-clean.js';

export interface CompiledSeccomp {
  /** The BPF file for the plan's `seccomp-bpf` record. */
  path: string;
  /** For the plan's `seccomp-flags` record. */
  flags: number;
  /** sha256 of the profile text (the cache key). */
  hash: string;
  /** false when the cache already had it. */
  compiled: boolean;
}

export interface CompileOptions {
  cacheDir: string;
  /** Overrides helperPath(). */
  helper?: string;
  /** JSON path used in error messages (default `linux.seccomp`). */
  jsonPath?: string;
}

function runCompiler(helper: string, out: string, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(helper, ['seccomp-compile', out], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', (e) => reject(new Error(`seccomp: cannot run ${helper}: ${e.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`seccomp: compiling the profile failed: ${stderr.trim() || `status ${code ?? signal}`}`),
        );
    });
    child.stdin!.on('error', () => {
      /* the compiler failed early; its status tells why */
    });
    child.stdin!.end(text);
  });
}

/** Validate, convert and compile `seccomp` (an OCI `linux.seccomp` object); reuse the cached BPF. */
export async function compileSeccomp(seccomp: unknown, opts: CompileOptions): Promise<CompiledSeccomp> {
  const profile = seccompProfile(seccomp, opts.jsonPath);
  const hash = createHash('sha256').update(profile.text).digest('hex');
  const path = joinClean(opts.cacheDir, `${hash}.bpf`);
  try {
    if ((await stat(path)).size > 0) return { path, flags: profile.flags, hash, compiled: false };
  } catch {
    /* not cached yet */
  }
  await mkdir(opts.cacheDir, { recursive: true, mode: 0o700 });
  // Write aside and rename: concurrent compilers of the same profile never expose a partial file.
  const tmp = joinClean(opts.cacheDir, `.${hash}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await runCompiler(opts.helper ?? helperPath(), tmp, profile.text);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  return { path, flags: profile.flags, hash, compiled: true };
}

/** The plan records that load a compiled profile. */
export function seccompPlanRecords(c: CompiledSeccomp): PlanRecord[] {
  return [
    { op: 'seccomp-bpf', path: c.path },
    { op: 'seccomp-flags', flags: c.flags },
  ];
}
