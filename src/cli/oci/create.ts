// corral-oci create [--bundle DIR] [--pid-file F] [--console-socket S] [--no-pivot] [--preserve-fds N] ID
import type { Command } from 'commander';
import { intArg, type Context } from './context.js';

export interface CreateFlags {
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  pivot: boolean;
  preserveFds?: string;
  detach?: boolean;
}

export function createOptions(cmd: Command): Command {
  return cmd
    .option('-b, --bundle <dir>', 'path to the bundle directory', '.')
    .option('--pid-file <file>', 'write the container process PID to this file')
    .option('--console-socket <path>', 'AF_UNIX socket that receives the pty master (process.terminal)')
    .option('--no-pivot', 'use MS_MOVE + chroot instead of pivot_root (rootfs on a ramdisk)')
    .option('--no-new-keyring', 'accepted for runc compatibility; Corral does not create session keyrings')
    .option('--preserve-fds <n>', 'pass this many extra fds (3..3+n-1) to the container', '0');
}

export function register(program: Command, ctx: Context): void {
  createOptions(program.command('create'))
    .description('create a container (its process waits for `start`)')
    .argument('<id>', 'container id')
    .action(async (id: string, f: CreateFlags) => {
      const rt = await ctx.runtime();
      await rt.create(id, f.bundle, {
        pidFile: f.pidFile,
        consoleSocket: f.consoleSocket,
        noPivot: !f.pivot,
        preserveFds: intArg(f.preserveFds ?? '0', '--preserve-fds'),
        detached: true,
      });
    });
}
