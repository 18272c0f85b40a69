// The kernel-layer services the runtime uses besides the helper driver (src/kernel/plan/helper.ts,
// imported by create.ts and exec.ts): the seccomp compiler (src/kernel/seccomp) and the cgroup
// driver (src/kernel/cgroup). Both are imported on first use so that `state`/`start` start fast.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';

import type { CgroupDriver } from '../kernel/cgroup/types.js';
import { OciError } from './errors.js';
import type { Seccomp } from './spec.js';
import { joinClean } from '../util/join-clean.js';

export type { PrespawnedHelper, StartPlanOptions, StartedPlan, StdioSpec } from '../kernel/plan/helper.js';

/**
 * 32-bit FNV-1a of a string's length and every 7th UTF-16 unit, hex: a file name, never trusted
 * alone (see below), so a sample does: a CLI call runs this loop cold (interpreted), and the whole
 * of a default profile's JSON (15 kB) took milliseconds.
 */
function fnv1a(text: string): string {
  let h = Math.imul(0x811c9dc5 ^ text.length, 0x01000193);
  for (let i = 0; i < text.length; i += 7) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The BPF files this process got, by cache directory and section JSON. */
const seen = new Map<string, Map<string, string>>();

/**
 * Compile an OCI seccomp section to a BPF file (cached by content hash in `cacheDir`); its path.
 * In front of the compiler's cache (sha256 of the converted profile, which needs the compiler
 * module and node:crypto loaded, ~10 ms a CLI call) sits an index by the section's exact JSON:
 * `oci-<fnv>.idx` holds the BPF path and that JSON, compared in full, so a hit costs a read.
 */
export async function compileSeccomp(seccomp: Seccomp, cacheDir: string, helper?: string): Promise<string> {
  const json = JSON.stringify(seccomp);
  // A long-running caller (the node agent) asks for the same few profiles for every container.
  const known = seen.get(cacheDir)?.get(json);
  if (known && existsSync(known)) return known;
  const remember = (path: string): string => {
    let m = seen.get(cacheDir);
    if (!m) seen.set(cacheDir, (m = new Map()));
    if (m.size > 64) m.clear();
    m.set(json, path);
    return path;
  };
  const index = joinClean(cacheDir, `oci-${fnv1a(json)}.idx`);
  try {
    const text = readFileSync(index, 'utf8');
    const nl = text.indexOf('\n');
    const path = text.slice(0, nl);
    if (text.slice(nl + 1) === json && statSync(path).size > 0) return remember(path);
  } catch {
    /* not indexed yet (or the BPF was removed): compile */
  }
  const { compileSeccomp: compile } = await import('../kernel/seccomp/compile.js');
  let path: string;
  try {
    path = (await compile(seccomp, { cacheDir, helper })).path;
  } catch (e) {
    throw new OciError((e as Error).message);
  }
  try {
    const tmp = `${index}.${process.pid}.tmp`;
    writeFileSync(tmp, `${path}\n${json}`, { mode: 0o600 });
    renameSync(tmp, index);
  } catch {
    /* the index is an optimisation */
  }
  return remember(path);
}

export async function openCgroupDriver(root?: string, helper?: string): Promise<CgroupDriver> {
  const { openCgroups } = await import('../kernel/cgroup/index.js');
  return openCgroups({ ...(root ? { root } : {}), ...(helper ? { helper } : {}) });
}
