// Waiting on cgroup.events (populated, frozen): kernfs wakes inotify watchers when it changes.
import { watch, type FSWatcher } from 'node:fs';

import { parseFlatKeyed, readText } from '../fs.js';
import { joinClean } from '../../../util/join-clean.js';

/** Resolve when `key` in DIR/cgroup.events equals `want` (true), or after timeoutMs (false). */
export function waitEvents(dir: string, key: string, want: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    let w: FSWatcher | undefined;
    // A slow safety net for a missed notification; inotify does the real work.
    const poll = setInterval(() => void check(), 250);
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      w?.close();
      clearInterval(poll);
      clearTimeout(timer);
      resolve(ok);
    };
    const check = async (): Promise<void> => {
      const t = await readText(dir, 'cgroup.events').catch(() => undefined);
      if (t === undefined) return finish(key === 'populated' && want === 0); // gone: empty
      if (parseFlatKeyed(t).get(key) === want) finish(true);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    try {
      w = watch(joinClean(dir, 'cgroup.events'), () => void check());
      w.on('error', () => undefined);
    } catch {
      /* no inotify: the poll below still works */
    }
    void check();
  });
}
