// corral-oci: runc's command line over src/oci/runtime.ts. Global options, then the command, then
// its options and arguments (runc's order; options after the id are accepted too, except for
// exec/ps where they belong to the process). One file per verb, imported only when it runs.
// Errors: one line `corral-oci: <message>` on stderr (and in --log), exit 1.
import { argUsage, optionRows, parse, table, termWidth, UsageError, wrap, type Options } from './args.js';
import { COMMANDS, GLOBAL_OPTIONS, type CommandSpec } from './commands.js';
import { Context, type GlobalOptions } from './context.js';

const VERSION = '0.1.0';
const HELP: Options = { help: { short: 'h', help: 'display help for command' } };

function mainHelp(): string {
  const cmds: [string, string][] = COMMANDS.map((c) => [
    [
      c.name + (c.alias ? `|${c.alias}` : ''),
      Object.keys(c.options).length ? '[options]' : '',
      argUsage(c.args),
    ]
      .filter(Boolean)
      .join(' '),
    c.description,
  ]);
  cmds.push(['help [command]', 'display help for command']);
  const opts = optionRows(GLOBAL_OPTIONS);
  const w = termWidth(opts, cmds);
  return (
    'Usage: corral-oci [options] [command]\n\nOCI runtime (runc-compatible command line) of Corral\n' +
    table('Options', opts, w) +
    table('Commands', cmds, w)
  );
}

function commandHelp(c: CommandSpec): string {
  const args: [string, string][] = c.args.map((a) => [
    a.name,
    a.help + (a.default !== undefined ? ` (default: "${a.default}")` : ''),
  ]);
  const opts = optionRows({ ...c.options, ...HELP });
  const w = termWidth(args, opts);
  const usage = [`corral-oci ${c.name}${c.alias ? `|${c.alias}` : ''} [options]`, argUsage(c.args)];
  return (
    `Usage: ${usage.filter(Boolean).join(' ')}\n\n${wrap(c.description, 0)}\n` +
    table('Arguments', args, w) +
    table('Options', opts, w)
  );
}

const find = (name: string) => COMMANDS.find((c) => c.name === name || c.alias === name);

async function main(argv: string[], setCtx: (c: Context) => void): Promise<void> {
  const g = parse(argv, GLOBAL_OPTIONS, true);
  if (g.values.help) return void process.stdout.write(mainHelp());
  if (g.values.version) return void process.stdout.write(VERSION + '\n');
  const ctx = new Context(g.values as GlobalOptions);
  setCtx(ctx);
  const [name, ...rest] = g.rest;
  if (name === undefined) {
    process.stderr.write(mainHelp());
    process.exitCode = 1;
    return;
  }
  if (name === 'help') {
    const c = rest[0] === undefined ? undefined : find(rest[0]);
    if (rest[0] !== undefined && !c) throw new UsageError(`unknown command '${rest[0]}'`);
    return void process.stdout.write(c ? commandHelp(c) : mainHelp());
  }
  const cmd = find(name);
  if (!cmd) throw new UsageError(`unknown command '${name}'`);
  const p = parse(rest, { ...cmd.options, ...HELP }, cmd.passThrough);
  if (p.values.help) return void process.stdout.write(commandHelp(cmd));
  const args = cmd.passThrough ? p.rest : p.positionals;
  const variadic = cmd.args.some((a) => a.variadic);
  for (const [i, a] of cmd.args.entries()) {
    if (args[i] === undefined) {
      if (a.required) throw new UsageError(`missing required argument '${a.name}'`);
      if (a.default !== undefined) args[i] = a.default;
    }
  }
  if (!variadic && args.length > cmd.args.length) {
    const n = cmd.args.length;
    throw new UsageError(
      `too many arguments for '${cmd.name}'. Expected ${n} argument${n === 1 ? '' : 's'} but got ${args.length}.`,
    );
  }
  ctx.log('debug', `${cmd.name} ${args.join(' ')}`);
  if (!cmd.noRuntime) ctx.preload();
  const { run } = await cmd.load();
  await run(ctx, p.values, args);
  ctx.log('debug', `${cmd.name} done`);
}

let ctx: Context | undefined;
main(process.argv.slice(2), (c) => (ctx = c)).catch((err: unknown) => {
  const msg = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, '; ');
  if (!(err instanceof UsageError)) ctx?.log('error', msg, true);
  process.stderr.write(`corral-oci: ${msg}\n`);
  process.exitCode = 1;
});
