// Crash-safe file writes: write a temporary file next to the target, fsync it, rename it over the
// target, fsync the directory. A reader sees the old content or the new, never a mix. And removal
// of files and directory trees with as few calls as possible.
import { crypto } from './crypto.js';
import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { joinClean } from '../util/join-clean.js';

export function tmpName(dir: string, tag = ''): string {
  return joinClean(dir, `.tmp-${process.pid}-${crypto().randomBytes(6).toString('hex')}${tag}`);
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function writeFileAtomic(path: string, data: Buffer | string): void {
  const tmp = tmpName(dirname(path));
  try {
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    fsyncDir(dirname(path));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Is the process that a `.tmp-<pid>-…` name belongs to gone? (Its leftovers can be removed.) */
export function tmpOwnerGone(name: string): boolean {
  const m = /^\.tmp-(\d+)-/.exec(name);
  if (!m) return false;
  const pid = Number(m[1]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** unlink, where a missing file is fine (node 20's rmSync goes through its JS rimraf even for one file). */
export function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/**
 * Remove a directory tree like rmSync(path, { recursive: true, force: true }), with fewer calls
 * for the common cases: an empty directory is one rmdir; a shallow one (a container's directory)
 * one readdir, an unlink per file, one rmdir; node's rimraf lstats and retries at every entry.
 * Subdirectories that are not empty go through rmSync.
 */
export function removeDir(path: string): void {
  try {
    rmdirSync(path); // empty (a container's rootfs mount point, an unused upper dir): one call
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') {
      rmSync(path, { recursive: true, force: true });
      return;
    }
  }
  let entries;
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    rmSync(path, { recursive: true, force: true });
    return;
  }
  for (const e of entries) {
    const p = joinClean(path, e.name);
    if (e.isDirectory()) {
      try {
        rmdirSync(p);
      } catch {
        rmSync(p, { recursive: true, force: true });
      }
    } else unlinkQuiet(p);
  }
  try {
    rmdirSync(path);
  } catch {
    rmSync(path, { recursive: true, force: true }); // something appeared meanwhile
  }
}
