// `corral`: the command for people. Each command lives in its own file and is imported only when
// it runs, and only the commands of the word typed are registered, so start-up stays lean.
import { Command } from 'commander';
import { addAgentOptions } from './agent-options.js';
import { registerContainerCommands } from './containers/register.js';
import { resolveDataDir } from './data-dir.js';
import { registerImageCommands } from './image/register.js';
import { registerNodeCommands } from './node/register.js';

const program = new Command('corral')
  .description('A small Kubernetes-style container platform that isolates with the Linux kernel')
  .option('--data-dir <dir>', 'state directory (env CORRAL_DATA_DIR, default /var/lib/corral)')
  .version('0.1.0')
  .showHelpAfterError()
  .configureOutput({ outputError: (str, write) => write(str) })
  // `corral run IMAGE ls -l`: what follows the image is the container's command, not our flags.
  .enablePositionalOptions();

const dataDir = () => resolveDataDir(program.opts<{ dataDir?: string }>().dataDir);

/** The API server, the one-machine cluster and kubeconfigs. */
function registerClusterCommands(): void {
  program
    .command('server')
    .description('run the Kubernetes API server alone and write an admin kubeconfig to DATA_DIR/kubeconfig')
    .option('--listen <addr:port>', 'address to serve on', '127.0.0.1:6443')
    .option('--datastore <store>', 'sqlite (DATA_DIR/state.db) or etcd://HOST:PORT[,HOST:PORT...]', 'sqlite')
    .option('--insecure-http', 'plain HTTP, every caller is admin (tests only)')
    .option('--token-auth-file <file>', 'static bearer tokens, CSV lines: token,user,uid,"group1,group2"')
    .option(
      '--anonymous-auth',
      'serve callers without credentials as system:anonymous instead of refusing them',
    )
    .option('--authorization-mode <mode>', 'RBAC (default with TLS) or AlwaysAllow')
    .allowExcessArguments(false)
    .action(async (opts: import('./server.js').ServerFlags) => {
      const { server } = await import('./server.js');
      await server(program.opts<{ dataDir?: string }>().dataDir, opts);
    });

  addAgentOptions(
    program
      .command('up')
      .description('run a one-machine cluster: the API server and a node agent joined to it')
      .option('--listen <addr:port>', 'address the API server serves on', '127.0.0.1:6443')
      .option(
        '--datastore <store>',
        'sqlite (DATA_DIR/state.db) or etcd://HOST:PORT[,HOST:PORT...]',
        'sqlite',
      )
      .option('--node-name <name>', 'the Node name (default: hostname)')
      .option(
        '--stop-pods',
        'on exit, stop and remove every pod (default: they keep running for the next start)',
      ),
    { cniDirs: false },
  )
    .allowExcessArguments(false)
    .action(async (opts: import('./up.js').UpFlags) => {
      const { up } = await import('./up.js');
      await up(program.opts<{ dataDir?: string }>().dataDir, opts);
    });

  program
    .command('kubeconfig')
    .description(
      'mint a client certificate signed by the cluster CA and print (or write) a kubeconfig for it',
    )
    .option('--user <name>', 'the user name (certificate CN)')
    .option('--group <group>', 'a group (certificate O); repeat for more', (g: string, gs: string[] = []) => [
      ...gs,
      g,
    ])
    .option('--server <url>', 'API server URL (default: the one in DATA_DIR/kubeconfig)')
    .option('--namespace <ns>', 'the context namespace', 'default')
    .option('--days <n>', 'certificate lifetime in days', '365')
    .option('-o, --output <file>', 'write the kubeconfig here (mode 0600) instead of stdout')
    .allowExcessArguments(false)
    .action(async (opts: import('./kubeconfig.js').KubeconfigFlags) => {
      const { kubeconfig } = await import('./kubeconfig.js');
      await kubeconfig(dataDir(), opts);
    });
}

/** The command word typed, after the global options (as native/front.c and bin/corral.cjs find it). */
function commandWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--data-dir') i++;
    else if (!a.startsWith('--data-dir=')) return a.startsWith('-') ? undefined : a;
  }
  return undefined;
}

/** The argument after the command word `word` (a subcommand), '' when an option or nothing follows. */
function wordAfter(argv: string[], word: string): string {
  const next = argv[argv.indexOf(word) + 1] ?? '';
  return next.startsWith('-') ? '' : next;
}

// Commander builds every option of every command it is given (interpreted, at each start): a
// start registers the group of the word typed (of the container group, the command typed); no
// word (help, --version) or an unknown one gets them all.
const word = commandWord(process.argv.slice(2));
const GROUPS: [string[], () => void][] = [
  [
    ['run', 'ps', 'logs', 'stop', 'rm', 'exec', 'inspect'],
    () => registerContainerCommands(program, dataDir, word),
  ],
  [['image'], () => registerImageCommands(program, dataDir)],
  [['node'], () => registerNodeCommands(program, dataDir)],
  [['server', 'up', 'kubeconfig'], registerClusterCommands],
];

// `corral ps | head`: once the reader is gone, a write to stdout fails with EPIPE (Node ignores
// SIGPIPE). Stop quietly with the status of a program SIGPIPE ended (128+13), as podman does.
// Not in the long-running commands (server, up, and node when it runs the agent rather than one
// of its client commands): there an EPIPE is a client socket's, a bug to see. Anything else
// uncaught is reported as Node would: its stack trace and exit status 1.
const nodeClient =
  word === 'node' && ['pods', 'logs', 'exec'].includes(wordAfter(process.argv.slice(2), word));
if (!['server', 'up', 'node'].includes(word ?? '') || nodeClient) {
  let crashed = false;
  process.on('uncaughtException', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' && e.syscall === 'write') process.exit(141);
    if (crashed) return; // the first one is being reported
    crashed = true;
    // A bug: its trace in the sources' terms (the bundle's names are short).
    const stack = e.stack ?? String(e);
    void import('./crash-stack.js')
      .then(({ sourceMappedStack }) => sourceMappedStack(stack))
      .catch(() => stack)
      .then((s) => process.stderr.write(`${s}\n`, () => process.exit(1)));
  });
}
const group = GROUPS.find(([words]) => word !== undefined && words.includes(word));
for (const [, register] of group ? [group] : GROUPS) register();

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`corral: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 125;
});
