// corral-oci: runc's command line over src/oci/runtime.ts. One file per verb, each thin; the
// runtime is imported only when a command runs. Errors: one line `corral-oci: <message>` on stderr
// (and in --log), exit 1.
import { Command } from 'commander';
import { Context } from './context.js';
import { register as create } from './create.js';
import { register as deleteCmd } from './delete.js';
import { register as exec } from './exec.js';
import { register as features } from './features.js';
import { register as kill } from './kill.js';
import { register as list } from './list.js';
import { register as pause } from './pause.js';
import { register as ps } from './ps.js';
import { register as resume } from './resume.js';
import { register as run } from './run.js';
import { register as spec } from './spec.js';
import { register as start } from './start.js';
import { register as state } from './state.js';
import { register as update } from './update.js';

const program = new Command('corral-oci')
  .description('OCI runtime (runc-compatible command line) of Corral')
  .option('--root <dir>', 'state directory', '/run/corral-oci')
  .option('--log <file>', 'write logs (and errors) to this file')
  .option('--log-format <fmt>', 'text or json', 'text')
  .option('--debug', 'log debug messages')
  .option('--systemd-cgroup', 'not supported: Corral uses cgroupfs (the flag is an error)')
  .option('--cgroup-root <path>', "Corral's cgroup root (relative cgroupsPath go below it)")
  .option('--rootless <bool>', 'accepted for runc compatibility; ignored')
  .option('--criu <path>', 'accepted for runc compatibility; ignored')
  .version('0.1.0', '-v, --version')
  .enablePositionalOptions()
  .configureOutput({ outputError: (str, write) => write(`corral-oci: ${str.replace(/^error: /, '')}`) })
  .exitOverride();

const ctx = new Context(program);
for (const r of [
  create,
  start,
  state,
  kill,
  deleteCmd,
  run,
  exec,
  ps,
  list,
  pause,
  resume,
  update,
  features,
  spec,
]) {
  r(program, ctx);
}

program.parseAsync(process.argv).catch((err: unknown) => {
  const e = err as { code?: string; exitCode?: number; message?: string };
  if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
    // commander printed its message already (help, version, usage errors).
    process.exitCode = e.exitCode ?? 1;
    return;
  }
  const msg = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, '; ');
  ctx.log('error', msg, true);
  process.stderr.write(`corral-oci: ${msg}\n`);
  process.exitCode = 1;
});
