// cgroup v1 devices: devices.allow / devices.deny. The target state (a default plus exceptions,
// as the kernel keeps it) is computed from the rules first; when the cgroup is already
// default-deny, only the difference is written, so a running container never passes through
// "deny everything" (as runc's emulator does).
import { closeSync, constants, openSync, writeSync } from 'node:fs';

import { R, type ApplyContext } from '../controller.js';
import { normalizeRules, type NormalRule } from '../devices-rules.js';
import { kernelError, readText, type Tx } from '../fs.js';
import type { LinuxResources } from '../types.js';
import { joinClean } from '../../../util/join-clean.js';

export interface DevState {
  defaultAllow: boolean;
  /** "c 1:3" → access letters. */
  exceptions: Map<string, string>;
}

const ALL = (r: NormalRule): boolean =>
  r.type === 'a' && r.major === -1 && r.minor === -1 && r.access.length === 3;
const num = (n: number): string => (n === -1 ? '*' : String(n));
const merge = (a: string, b: string): string =>
  ['r', 'w', 'm'].filter((c) => a.includes(c) || b.includes(c)).join('');
const minus = (a: string, b: string): string =>
  ['r', 'w', 'm'].filter((c) => a.includes(c) && !b.includes(c)).join('');

/** Apply rules the way the kernel does (devcgroup_update_access). */
export function emulate(rules: NormalRule[], start: DevState): DevState {
  const s: DevState = { defaultAllow: start.defaultAllow, exceptions: new Map(start.exceptions) };
  for (const r of rules) {
    if (ALL(r)) {
      s.defaultAllow = r.allow;
      s.exceptions.clear();
      continue;
    }
    if (!r.access) continue;
    for (const t of r.type === 'a' ? ['c', 'b'] : [r.type]) {
      const key = `${t} ${num(r.major)}:${num(r.minor)}`;
      const cur = s.exceptions.get(key) ?? '';
      // An exception records the opposite of the default: adding to it or taking from it.
      const next = r.allow !== s.defaultAllow ? merge(cur, r.access) : minus(cur, r.access);
      if (next) s.exceptions.set(key, next);
      else s.exceptions.delete(key);
    }
  }
  return s;
}

/** devices.list: "a *:* rwm" when default-allow (its deny exceptions are not shown), else allowed entries. */
export function parseList(text: string): DevState | undefined {
  const lines = text.split('\n').filter(Boolean);
  if (lines.includes('a *:* rwm')) return undefined;
  const s: DevState = { defaultAllow: false, exceptions: new Map() };
  for (const l of lines) {
    const [t, dev, acc] = l.split(' ');
    if (t && dev && acc) s.exceptions.set(`${t} ${dev}`, acc);
  }
  return s;
}

/** Writes that take a cgroup from `cur` (undefined: unknown) to `target`. */
export function transition(cur: DevState | undefined, target: DevState): { file: string; line: string }[] {
  const out: { file: string; line: string }[] = [];
  let from = cur;
  if (!from || from.defaultAllow !== target.defaultAllow || target.defaultAllow) {
    out.push({ file: target.defaultAllow ? 'devices.allow' : 'devices.deny', line: 'a' });
    from = { defaultAllow: target.defaultAllow, exceptions: new Map() };
  }
  const exFile = target.defaultAllow ? 'devices.deny' : 'devices.allow';
  const unFile = target.defaultAllow ? 'devices.allow' : 'devices.deny';
  for (const [k, acc] of from.exceptions) {
    const want = target.exceptions.get(k) ?? '';
    const drop = minus(acc, want);
    if (drop) out.push({ file: unFile, line: `${k} ${drop}` });
  }
  for (const [k, acc] of target.exceptions) {
    const add = minus(acc, from.exceptions.get(k) ?? '');
    if (add) out.push({ file: exFile, line: `${k} ${add}` });
  }
  return out;
}

async function current(dir: string): Promise<DevState | undefined> {
  return parseList((await readText(dir, 'devices.list')) ?? 'a *:* rwm');
}

/** The writes in order, a run of them to one file through one open file (the kernel takes one rule
 *  per write: a container's dozen rules were a dozen open/close pairs). */
async function run(dir: string, writes: { file: string; line: string }[], field: string): Promise<void> {
  let fd: number | undefined;
  let open = '';
  try {
    for (const w of writes) {
      const path = joinClean(dir, w.file);
      try {
        if (open !== w.file) {
          if (fd !== undefined) closeSync(fd);
          fd = undefined;
          fd = openSync(path, constants.O_WRONLY);
          open = w.file;
        }
        writeSync(fd!, w.line);
      } catch (e) {
        throw kernelError(path, w.line, { field, value: w.line }, e);
      }
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export async function apply(tx: Tx, dir: string, r: LinuxResources, _ctx: ApplyContext): Promise<void> {
  if (!r.devices) return;
  const rules = normalizeRules(r.devices);
  if (rules.length === 0) return;
  const before = await current(dir);
  // Rules are relative to "allow everything" unless they start by resetting the default.
  const target = emulate(rules, { defaultAllow: true, exceptions: new Map() });
  tx.onRollback(async () => {
    const now = await current(dir);
    await run(dir, transition(now, before ?? { defaultAllow: true, exceptions: new Map() }), `${R}.devices`);
  });
  await run(dir, transition(before, target), `${R}.devices`);
}
