// `corral ps [-a] [-q] [--no-trunc] [--format json]`: the containers of this data directory.
import { Engine, type ContainerView } from '../engine/engine.js';
import { EngineError } from '../engine/errors.js';

/** "3 seconds", "2 minutes", "5 hours", as podman words durations. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const unit = (n: number, u: string) => `${n} ${u}${n === 1 ? '' : 's'}`;
  if (s < 1) return 'Less than a second';
  if (s < 60) return unit(s, 'second');
  if (s < 3600) return unit(Math.round(s / 60), 'minute');
  if (s < 86400 * 2) return unit(Math.round(s / 3600), 'hour');
  return unit(Math.round(s / 86400), 'day');
}

export function statusText(v: ContainerView, now = Date.now()): string {
  const s = v.state;
  switch (s.status) {
    case 'created':
      return 'Created';
    case 'running':
    case 'stopping':
      return `Up ${humanDuration(now - Date.parse(s.startedAt ?? v.record.created))}`;
    case 'exited':
      return `Exited (${s.exitCode ?? -1}) ${humanDuration(now - Date.parse(s.finishedAt ?? v.record.created))} ago`;
    default:
      return s.status;
  }
}

const shellQuote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);

export async function psCommand(
  dataDir: string,
  o: { all?: boolean; quiet?: boolean; trunc?: boolean; format?: string },
): Promise<number> {
  if (o.format !== undefined && o.format !== 'json' && o.format !== 'table') {
    throw new EngineError(`--format ${o.format}: unknown format; use table or json`);
  }
  const engine = new Engine({ dataDir });
  const views = await engine.list(!!o.all);
  const trunc = o.trunc !== false;
  if (o.quiet) {
    for (const v of views) process.stdout.write(`${trunc ? v.record.id.slice(0, 12) : v.record.id}\n`);
    return 0;
  }
  if (o.format === 'json') {
    const rows = views.map((v) => ({
      Id: v.record.id,
      Names: [v.record.name],
      Image: v.record.imageName,
      Command: v.record.args,
      Created: v.record.created,
      State: v.state.status,
      Status: statusText(v),
      ExitCode: v.state.exitCode ?? 0,
      Pid: v.state.status === 'running' ? (v.state.pid ?? 0) : 0,
    }));
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return 0;
  }
  const now = Date.now();
  const table = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'NAMES']];
  for (const v of views) {
    let cmd = v.record.args.map(shellQuote).join(' ');
    if (trunc && cmd.length > 20) cmd = cmd.slice(0, 17) + '...';
    table.push([
      trunc ? v.record.id.slice(0, 12) : v.record.id,
      v.record.imageName,
      cmd,
      `${humanDuration(now - Date.parse(v.record.created))} ago`,
      statusText(v, now),
      v.record.name,
    ]);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  for (const r of table) {
    process.stdout.write(
      r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2))).join('') + '\n',
    );
  }
  return 0;
}
