// USER[:GROUP] (from -u or the image's User) to numeric ids, through the image's /etc/passwd and
// /etc/group, as podman does: a name must exist there; a number need not (then gid 0 unless given).
// The files are read without following symlinks: a rootfs is untrusted and its /etc/passwd must
// not lead to a host file.
import { closeSync, constants as fsc, openSync, readFileSync } from 'node:fs';
import { joinClean } from '../util/join-clean.js';

/** A user or group the image's /etc/passwd or /etc/group does not have; the message names the flag. */
export class UserSpecError extends Error {
  override name = 'UserSpecError';
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** The passwd entry's home directory (for HOME), when there is one. */
  home?: string;
  name?: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}
interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** A file inside the rootfs, or '' when missing or any component is a symlink. */
function readInRoot(rootfs: string, rel: string[]): string {
  let dirFd = -1;
  try {
    // O_NOFOLLOW on each step: etc and etc/passwd must be real, in-rootfs entries.
    dirFd = openSync(joinClean(rootfs, rel[0]!), fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_DIRECTORY);
    closeSync(dirFd);
    dirFd = -1;
    const fd = openSync(joinClean(rootfs, ...rel), fsc.O_RDONLY | fsc.O_NOFOLLOW);
    try {
      return readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    if (dirFd >= 0) closeSync(dirFd);
    return '';
  }
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0]!, uid, gid, home: f[5]! });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) continue;
    const gid = Number(f[2]);
    if (!Number.isInteger(gid)) continue;
    out.push({ name: f[0]!, gid, members: f[3]!.split(',').filter(Boolean) });
  }
  return out;
}

const isNum = (s: string): boolean => /^\d+$/.test(s) && Number(s) <= 0xfffffffe;

/** Reads a file of a root filesystem by its path components; '' when missing or not a plain file. */
export type RootReader = (rel: string[]) => string;

/** A reader for a root filesystem directory (no symlink followed, see readInRoot). */
export function dirReader(rootfs: string): RootReader {
  return (rel) => readInRoot(rootfs, rel);
}

/**
 * Resolve `spec` (e.g. "nobody", "1000", "1000:100", "app:staff") against the rootfs: a directory,
 * or a reader (an image's layers read through, when the rootfs is not mounted on the host).
 */
export function resolveUser(rootfs: string | RootReader, spec: string, what = '-u'): ResolvedUser {
  const [u = '', g] = spec.split(':');
  const read = typeof rootfs === 'string' ? dirReader(rootfs) : rootfs;
  const passwd = parsePasswd(read(['etc', 'passwd']));
  const groups = parseGroup(read(['etc', 'group']));
  let entry: PasswdEntry | undefined;
  let uid: number;
  if (isNum(u)) {
    uid = Number(u);
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === u);
    if (!entry) {
      throw new UserSpecError(
        `${what} ${spec}: no user "${u}" in the image's /etc/passwd; use a numeric id (e.g. ${what} 1000) or a user the image has`,
      );
    }
    uid = entry.uid;
  }
  let gid: number;
  if (g === undefined) gid = entry?.gid ?? 0;
  else if (isNum(g)) gid = Number(g);
  else {
    const ge = groups.find((x) => x.name === g);
    if (!ge) {
      throw new UserSpecError(
        `${what} ${spec}: no group "${g}" in the image's /etc/group; use a numeric gid or a group the image has`,
      );
    }
    gid = ge.gid;
  }
  // Supplementary groups from /etc/group, only when the group was not given explicitly (as podman).
  const additionalGids =
    g === undefined && entry
      ? [...new Set(groups.filter((x) => x.members.includes(entry!.name) && x.gid !== gid).map((x) => x.gid))]
      : [];
  return {
    uid,
    gid,
    additionalGids,
    ...(entry ? { home: entry.home || '/', name: entry.name } : {}),
  };
}
