// The `fast` file of a container's state directory: what corral-oci's C front (native/front/)
// may do for `start` and `delete` without starting Node, decided here at create time. The front
// follows it only in the plain case and hands anything else to the Node CLI (format and rules:
// native/PLAN.md, "The corral-oci front"). Hooks are why a verb is not listed: running them is
// TypeScript's job.
import { writeFileSync, renameSync } from 'node:fs';

import type { ContainerRecord } from './state.js';
import { joinClean } from '../util/join-clean.js';

/** The record's lines, or undefined when the front must leave both verbs to Node. */
export function frontRecord(r: ContainerRecord): string | undefined {
  if (r.pid === undefined || !r.pidStartTime) return undefined;
  // The front reads plain lines: a path it could misread leaves everything to Node.
  const paths = [r.freezerFile ?? '', ...(r.cgroupDirs ?? [])];
  if (paths.some((p) => /[\t\n\\]/.test(p))) return undefined;
  const lines = ['version\t1', `pid\t${r.pid}\t${r.pidStartTime}`];
  if (r.freezerFile) lines.push(`freezer\t${r.freezerFile}`);
  // delete's cgroup step (lifecycle.ts removeEmpty): the dirs, the first one checked for processes.
  const cgroupsKnown = !r.cgroupsPath || (r.cgroupDirs?.length ?? 0) > 0;
  for (const d of r.cgroupsPath ? (r.cgroupDirs ?? []) : []) lines.push(`cgroup\t${d}`);
  if (!r.config.hooks?.poststart?.length) lines.push('start');
  if (!r.config.hooks?.poststop?.length && cgroupsKnown) lines.push('delete');
  return lines.join('\n') + '\n';
}

/** Written next to state.json (atomically), after the init reported it is created. */
export function saveFrontRecord(dir: string, r: ContainerRecord): void {
  const text = frontRecord(r);
  if (!text) return;
  const tmp = joinClean(dir, `.fast.${process.pid}`);
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, joinClean(dir, 'fast'));
}
