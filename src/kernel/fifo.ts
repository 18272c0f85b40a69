// Named pipes without a process per pipe. Node has no mkfifo(2), and spawning `mkfifo` costs a
// fork of the whole (large) Node process each time: ~5-30 ms of blocked event loop. A FifoPool
// makes fifos in batches, one `mkfifo` for many, in a directory of its own, and hands them out by
// rename(2), which moves a fifo like any file (same file system; otherwise one is made in place).
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** One `mkfifo -m MODE` for all of `paths` (synchronous: for the rare fallback). */
function mkfifoSync(paths: string[], mode = 0o600): void {
  const r = spawnSync('mkfifo', ['-m', mode.toString(8), '--', ...paths], { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`mkfifo ${paths.join(' ')}: ${(r.stderr ?? r.error?.message ?? '').trim()}`);
}

function mkfifo(paths: string[], mode: number): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('mkfifo', ['-m', mode.toString(8), '--', ...paths], (err, _o, stderr) =>
      err ? reject(new Error(`mkfifo: ${(stderr || err.message).toString().trim()}`)) : resolve(),
    ),
  );
}

export class FifoPool {
  private ready: string[] = [];
  private refilling?: Promise<void>;
  private seq = 0;

  /** `dir` belongs to the pool (it is emptied now); `batch` fifos are made per `mkfifo`. */
  constructor(
    readonly dir: string,
    readonly mode = 0o600,
    readonly batch = 64,
  ) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Make a fifo at `path` (mode as the pool's); an existing entry there is left as it is. */
  async make(path: string): Promise<void> {
    if (existsSync(path)) return;
    for (;;) {
      const src = this.ready.pop();
      if (src === undefined) {
        await this.refill();
        continue;
      }
      if (this.ready.length < this.batch / 4) void this.refill().catch(() => undefined);
      try {
        renameSync(src, path);
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // Another file system: make this one in place (no pool can serve it).
        if (code === 'EXDEV') return mkfifoSync([path], this.mode);
        // The pool's file vanished (someone emptied the directory): take the next one.
        if (code === 'ENOENT' && existsSync(join(path, '..'))) continue;
        throw e;
      }
    }
  }

  private refill(): Promise<void> {
    this.refilling ??= (async () => {
      const names = Array.from({ length: this.batch }, () => join(this.dir, `f${this.seq++}`));
      try {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        await mkfifo(names, this.mode);
        this.ready.push(...names);
      } finally {
        this.refilling = undefined;
      }
    })();
    return this.refilling;
  }

  /** Remove the pool's spare fifos. */
  close(): void {
    this.ready = [];
    rmSync(this.dir, { recursive: true, force: true });
  }
}
