// The `corral` front (native/front.c, native/PLAN.md "The corral front"): `corral run` started
// through native/corral has that small C process as its parent, and the caller waits for it.
//  - It is our helper spawner (HelperSpawner.overFront): a helper starts as a vfork of a small
//    process, while Node goes on, instead of a fork of this one that blocks it for milliseconds.
//  - It exits with the code we report at our exit, so Node's own teardown is no longer part of
//    the command's time. Before reporting we let go of the caller's stdio (a reader of our
//    output, `$(corral run ...)`, sees its end then) and Node, finding other files on fds 0-2,
//    leaves the terminal's modes alone when it ends.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { HelperSpawner } from '../kernel/plan/spawner.js';

function releaseStdio(): void {
  for (let fd = 0; fd <= 2; fd++) {
    try {
      closeSync(fd);
    } catch {
      /* not open */
    }
  }
  // The lowest free fds: 0, 1, 2 again, now /dev/null.
  for (let i = 0; i <= 2; i++) {
    const fd = openSync('/dev/null', 'r+');
    if (fd > 2) closeSync(fd);
  }
}

/** The front this process reports to, once (see attachFront). */
export interface Front {
  /** Its spawner; undefined when another helper is asked for (CORRAL_HELPER). */
  spawner: HelperSpawner | undefined;
  /**
   * Report our exit code now: the front exits with it, and the caller (a shell, a bench) goes
   * on while Node drains its loop and ends unobserved. For a command whose outcome is settled:
   * its output written and the terminal restored. Without it, the code is reported at exit.
   */
  report(code: number): void;
}

/**
 * The `corral` front that started this process (CORRAL_FRONT_FD): its spawner, and our exit
 * code reported to it (at exit, or earlier by report()); undefined when there is none. Call
 * once, early in the command. The front's socket stays open in children we start (Node cannot
 * mark an inherited fd close-on-exec); it carries nothing once we reported, and the front is
 * gone then.
 */
export function attachFront(): Front | undefined {
  const v = process.env.CORRAL_FRONT_FD;
  delete process.env.CORRAL_FRONT_FD; // not our children's
  if (!v || !/^\d+$/.test(v)) return undefined;
  const fd = Number(v);
  try {
    if (!fstatSync(fd).isSocket()) return undefined;
  } catch {
    return undefined;
  }
  const spawner = HelperSpawner.overFront(fd);
  let reported = false;
  const report = (code: number): void => {
    // Once; not when its socket closed: nobody to tell (and the fd is gone).
    if (reported || !spawner.frontAlive) return;
    reported = true;
    releaseStdio();
    try {
      writeSync(fd, `exit\t${code & 0xff}\n`);
      // Then wait for its end (it exits at once: EOF here). Going on would keep this CPU from
      // the front just woken, and the caller waits for the front: 1-5 ms in a run out of three
      // on this project's 2-CPU machine, while Node went on tearing down.
      const b = Buffer.alloc(64);
      while (readSync(fd, b) > 0);
    } catch {
      /* the front is gone: it exits with our status anyway */
    }
  };
  process.once('exit', report);
  // The front runs its own binary as the helper: not when another one is asked for.
  return { spawner: process.env.CORRAL_HELPER ? undefined : spawner, report };
}
