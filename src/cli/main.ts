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
  .allowExcessArguments(false)
  .action(async (opts: { listen: string; datastore: string; insecureHttp?: boolean }) => {
    const { server } = await import('./server.js');
    await server(program.opts<{ dataDir?: string }>().dataDir, opts);
  });

const dataDir = () => resolveDataDir(program.opts<{ dataDir?: string }>().dataDir);
registerContainerCommands(program, dataDir);
registerImageCommands(program, dataDir);
registerNodeCommands(program, dataDir);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`corral: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 125;
});
