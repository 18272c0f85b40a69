// `corral`: the command for people. Each command lives in its own file and is imported only when
// it runs, so start-up stays lean.
import { Command } from 'commander';
import { registerContainerCommands } from './containers/register.js';
import { resolveDataDir } from './data-dir.js';
import { registerImageCommands } from './image/register.js';
import { registerNodeCommands } from './node/register.js';

const program = new Command('corral')
  .description('A small Kubernetes-style container platform that isolates with the Linux kernel')
  .option('--data-dir <dir>', 'state directory (env CORRAL_DATA_DIR, default /var/lib/corral)')
  .version('0.1.0')
  .showHelpAfterError()
  .configureOutput({ outputError: (str, write) => write(str) });

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

program
  .command('up')
  .description('run a one-machine cluster: the API server and a node agent joined to it')
  .option('--listen <addr:port>', 'address the API server serves on', '127.0.0.1:6443')
  .option('--datastore <store>', 'sqlite (DATA_DIR/state.db) or etcd://HOST:PORT[,HOST:PORT...]', 'sqlite')
  .option('--node-name <name>', 'the Node name (default: hostname)')
  .option('--cgroup-root <path>', "Corral's cgroup root (env CORRAL_CGROUP_ROOT)")
  .option('--backoff-base <ms>', 'CrashLoopBackOff base delay in ms', '10000')
  .option('--stop-pods', 'on exit, stop and remove every pod (default: they keep running for the next start)')
  .option('--network <mode>', 'pod networking: cni (a bridge network by default) or none (only lo)', 'cni')
  .option('--pod-cidr <cidr>', "the default network's pod subnet (default 10.89.0.0/16)")
  .option('--bridge <name>', "the default network's bridge (default corral0)")
  .option(
    '--cni-netns <path>',
    "the node's network namespace for the bridge and NetworkPolicy (default: ours)",
  )
  .option('--no-network-policy', 'do not enforce NetworkPolicy')
  .option(
    '--eviction-hard <threshold>',
    'node-pressure eviction at memory.available<100Mi (default), <N% or none (off), as the kubelet',
  )
  .option(
    '--seccomp-default <bool>',
    'profile of containers whose pod names none: true = RuntimeDefault (default), false = Unconfined',
  )
  .allowExcessArguments(false)
  .action(async (opts: import('./up.js').UpFlags) => {
    const { up } = await import('./up.js');
    await up(program.opts<{ dataDir?: string }>().dataDir, opts);
  });

program
  .command('kubeconfig')
  .description('mint a client certificate signed by the cluster CA and print (or write) a kubeconfig for it')
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

const dataDir = () => resolveDataDir(program.opts<{ dataDir?: string }>().dataDir);
registerContainerCommands(program, dataDir);
registerImageCommands(program, dataDir);
registerNodeCommands(program, dataDir);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`corral: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 125;
});
