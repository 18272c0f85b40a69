// What src/cli/main.ts does for `corral image …`, for the CLI tests until main wires it in.
import { Command } from 'commander';
import { registerImageCommands } from '../../src/cli/image/register.js';
import { resolveDataDir } from '../../src/cli/data-dir.js';

const program = new Command('corral')
  .option('--data-dir <dir>')
  .showHelpAfterError()
  .configureOutput({ outputError: (s, w) => w(s) });
registerImageCommands(program, () => resolveDataDir(program.opts<{ dataDir?: string }>().dataDir));
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`corral: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 125;
});
