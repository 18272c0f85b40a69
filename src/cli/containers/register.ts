// The container commands of `corral` (run, ps, logs, stop, rm, exec, inspect), podman-style.
// Each action is imported only when it runs. Errors are one line `corral: <what>; <fix>` with
// podman's exit codes: 125 Corral's own error (bad flags included), 126 the command cannot be
// invoked, 127 it is not found; otherwise the container's (or exec'd command's) own exit code.
import type { RunRequest } from '../../engine/options.js';
import { Command, type CommanderError } from 'commander';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** What a failed command prints and exits with (imported lazily: keeps `--help` fast). */
async function act(fn: () => Promise<number | void>): Promise<void> {
  try {
    const code = await fn();
    if (typeof code === 'number') process.exitCode = code;
  } catch (e) {
    const { EngineError, oneLine } = await import('../../engine/errors.js');
    process.stderr.write(`corral: ${oneLine(e)}\n`);
    process.exitCode = e instanceof EngineError ? e.exitCode : 125;
  }
}

/** Command-line mistakes (unknown flag, missing image...): one line and 125, as podman. */
function strict(cmd: Command): Command {
  return cmd
    .showHelpAfterError(false)
    .configureOutput({ outputError: () => undefined })
    .exitOverride((err: CommanderError) => {
      if (err.exitCode === 0) process.exit(0); // --help
      const what = err.message.replace(/^error: /, '').replace(/\.$/, '');
      process.stderr.write(`corral: ${what}; see corral ${cmd.name()} --help\n`);
      process.exit(125);
    });
}

/**
 * Register the container commands, or only `only` of them (the word typed: commander builds
 * every option it is given, interpreted, at each start).
 */
export function registerContainerCommands(program: Command, dataDir: () => string, only?: string): void {
  const commands = containerCommands(program, dataDir);
  const one = only !== undefined && Object.hasOwn(commands, only) ? commands[only] : undefined;
  for (const register of one ? [one] : Object.values(commands)) register();
}

function containerCommands(program: Command, dataDir: () => string): Record<string, () => void> {
  return {
    // `corral run IMAGE ls -l` (the program enables positional options): what follows the image
    // is the container's command, not our flags.
    run: () =>
      strict(
        program
          .command('run')
          .description('run a command in a new container made from an image')
          .usage('[options] IMAGE [COMMAND [ARG...]]')
          .option('--rm', 'remove the container when it exits')
          .option('-d, --detach', 'run in the background and print the container id')
          .option('--name <name>', 'name of the container')
          .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
          .option('-v, --volume <HOST:CTR[:ro]>', 'bind-mount a host path (repeatable)', collect, [])
          .option('-w, --workdir <dir>', 'working directory inside the container')
          .option('-u, --user <user[:group]>', 'user (name or uid) and group to run as')
          .option('-m, --memory <bytes>', 'memory limit, e.g. 64Mi')
          .option('--cpus <n>', 'CPU limit, e.g. 0.5')
          .option('--pids-limit <n>', 'maximum number of processes (default 2048, -1 for none)')
          .option('--hostname <name>', 'host name inside the container (default: the short id)')
          .option('--read-only', 'mount the root filesystem read-only (tmpfs on /tmp, /var/tmp, /run)')
          .option(
            '--network <mode>',
            "none (default: own namespace, lo only), host, or bridge (eth0 on Corral's CNI network)",
          )
          .option('--net <mode>', 'alias of --network')
          .option(
            '-p, --publish <HOST:CTR>',
            'publish a port, e.g. 8080:80 or 127.0.0.1:8080:80/udp (implies --network bridge)',
            collect,
            [],
          )
          .option('-i, --interactive', 'keep stdin attached')
          .option('-t, --tty', "give the container the caller's terminal")
          .option('--entrypoint <cmd>', "override the image's Entrypoint")
          .argument('<image>', 'image reference, e.g. busybox')
          .argument('[command...]', 'command and arguments (default: the image Entrypoint/Cmd)')
          .passThroughOptions()
          .action(async (image: string, cmd: string[], o: RunFlags) => {
            const { runCommand } = await import('../run.js');
            await act(() =>
              runCommand(dataDir(), {
                image,
                cmd,
                ...o,
                network: o.network ?? o.net,
                volumes: o.volume,
                publish: o.publish,
              }),
            );
          }),
      ),

    ps: () =>
      strict(
        program
          .command('ps')
          .description('list containers (running ones; -a for all)')
          .option('-a, --all', 'show all containers, also exited ones')
          .option('-q, --quiet', 'print only the ids')
          .option('--no-trunc', 'do not truncate ids and commands')
          .option('--format <format>', 'table (default) or json')
          .action(async (o: { all?: boolean; quiet?: boolean; trunc: boolean; format?: string }) => {
            const { psCommand } = await import('../ps.js');
            await act(() => psCommand(dataDir(), o));
          }),
      ),

    logs: () =>
      strict(
        program
          .command('logs')
          .description("print a detached container's output")
          .option('-f, --follow', 'keep printing new output until the container exits')
          .argument('<container>', 'name or id')
          .action(async (ref: string, o: { follow?: boolean }) => {
            const { logsCommand } = await import('../logs.js');
            await act(() => logsCommand(dataDir(), ref, o));
          }),
      ),

    stop: () =>
      strict(
        program
          .command('stop')
          .description('stop containers: SIGTERM, then SIGKILL after a timeout')
          .option('-t, --time <secs>', 'seconds to wait before SIGKILL', '10')
          .argument('<containers...>', 'names or ids')
          .action(async (refs: string[], o: { time: string }) => {
            const { stopCommand } = await import('../stop.js');
            await act(() => stopCommand(dataDir(), refs, o));
          }),
      ),

    rm: () =>
      strict(
        program
          .command('rm')
          .description('remove containers')
          .option('-f, --force', 'kill running containers first')
          .argument('<containers...>', 'names or ids')
          .action(async (refs: string[], o: { force?: boolean }) => {
            const { rmCommand } = await import('../rm.js');
            await act(() => rmCommand(dataDir(), refs, o));
          }),
      ),

    exec: () =>
      strict(
        program
          .command('exec')
          .description('run a command in a running container')
          .usage('[options] CONTAINER COMMAND [ARG...]')
          .option('-i, --interactive', 'keep stdin attached')
          .option('-t, --tty', "give the command the caller's terminal")
          .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
          .option('-w, --workdir <dir>', 'working directory')
          .option('-u, --user <user[:group]>', 'user (name or uid) and group')
          .argument('<container>', 'name or id')
          .argument('<command...>', 'command and arguments')
          .passThroughOptions()
          .action(async (ref: string, cmd: string[], o: ExecFlags) => {
            const { execCommand } = await import('../exec.js');
            await act(() => execCommand(dataDir(), ref, cmd, o));
          }),
      ),

    inspect: () =>
      strict(
        program
          .command('inspect')
          .description('print what Corral knows about containers, as JSON')
          .argument('<containers...>', 'names or ids')
          .action(async (refs: string[]) => {
            const { inspectCommand } = await import('../inspect.js');
            await act(() => inspectCommand(dataDir(), refs));
          }),
      ),
  };
}

/** commander's view of `run`'s flags: the engine's request, with the repeatable flags as lists. */
export type RunFlags = Omit<RunRequest, 'image' | 'cmd' | 'volumes' | 'env' | 'publish'> & {
  env: string[];
  volume: string[];
  publish: string[];
  net?: string;
};

export interface ExecFlags {
  interactive?: boolean;
  tty?: boolean;
  env: string[];
  workdir?: string;
  user?: string;
}
