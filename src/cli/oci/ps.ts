// corral-oci ps [--format table|json] ID [ps options]
import { execFileSync } from 'node:child_process';
import type { Values } from './args.js';
import { printJson, type Context } from './context.js';

export async function run(ctx: Context, f: Values, [id, ...psArgs]: string[]): Promise<void> {
  const pids = await (await ctx.runtime()).ps(id!);
  if (f.format === 'json') return printJson(pids);
  if (f.format !== 'table') throw new Error(`--format: "${f.format}" is not table or json`);
  // Like runc: run the host's ps and keep the header and our PIDs.
  const out = execFileSync('ps', psArgs.length ? psArgs : ['-ef'], { encoding: 'utf8' }).split('\n');
  const header = out[0] ?? '';
  const col = header.trim().split(/\s+/).indexOf('PID');
  const want = new Set(pids.map(String));
  const rows = out.slice(1).filter((l) => l.trim() && want.has(l.trim().split(/\s+/)[col < 0 ? 1 : col]!));
  process.stdout.write([header, ...rows].join('\n') + '\n');
}
