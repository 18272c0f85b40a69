// corral-oci's argument parsing on Node's util.parseArgs (loads nothing: commander cost ~20 ms a
// start). A pre-pass gives it runc's (urfave/cli) conventions: a value option takes the next
// argument even when it starts with `-` (`--cpu-quota -1`), booleans accept `--flag=true|false`,
// and our own one-line errors name the flag. parseArgs then does the grouping (`-dt`, `-bDIR`).
import { parseArgs } from 'node:util';

export interface OptionSpec {
  short?: string;
  /** Placeholder of the value (`dir`); absent: a boolean flag. */
  value?: string;
  multiple?: boolean;
  default?: string;
  help: string;
}

export interface ArgumentSpec {
  name: string;
  help: string;
  required?: boolean;
  variadic?: boolean;
  default?: string;
}

export type Options = Record<string, OptionSpec>;
export type Values = Record<string, string | boolean | string[] | undefined>;

/** A usage error: printed as one line, exit 1. */
export class UsageError extends Error {}

export interface Parsed {
  /** Keyed by camelCase long name (`pid-file` → `pidFile`). */
  values: Values;
  positionals: string[];
  /** With `stopAtPositional`: the arguments from the first positional on, unparsed. */
  rest: string[];
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Parse `args` against `options`. `stopAtPositional`: options end at the first positional, which
 * and everything after it is returned in `rest` (global options before the command; `exec ID CMD
 * -c ...`). Otherwise options and positionals may be interleaved.
 */
export function parse(args: string[], options: Options, stopAtPositional = false): Parsed {
  const byShort = new Map<string, string>();
  for (const [name, o] of Object.entries(options)) if (o.short) byShort.set(o.short, name);
  const flag = (name: string) => {
    const o = options[name]!;
    return `${o.short ? `-${o.short}, ` : ''}--${name}${o.value ? ` <${o.value}>` : ''}`;
  };
  const norm: string[] = [];
  let rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--' || a === '-' || !a.startsWith('-')) {
      if (stopAtPositional) {
        rest = args.slice(a === '--' ? i + 1 : i);
        break;
      }
      if (a === '--') {
        norm.push(...args.slice(i));
        break;
      }
      norm.push(a);
      continue;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const o = options[name];
      if (!o) throw new UsageError(`unknown option '--${name}'`);
      if (o.value) {
        if (eq >= 0) norm.push(a);
        else if (i + 1 < args.length) norm.push(`--${name}=${args[++i]}`);
        else throw new UsageError(`option '${flag(name)}' argument missing`);
      } else if (eq >= 0) {
        const v = a.slice(eq + 1);
        if (v === 'true' || v === '1') norm.push(`--${name}`);
        else if (v !== 'false' && v !== '0')
          throw new UsageError(`option '${flag(name)}' takes no value (or true/false), got "${v}"`);
      } else norm.push(a);
      continue;
    }
    // Short flags, possibly grouped (-dt, -bDIR, -db DIR).
    for (let j = 1; j < a.length; j++) {
      const name = byShort.get(a[j]!);
      if (!name) throw new UsageError(`unknown option '-${a[j]}'`);
      if (!options[name]!.value) {
        norm.push(`--${name}`);
        continue;
      }
      if (j + 1 < a.length) norm.push(`--${name}=${a.slice(j + 1)}`);
      else if (i + 1 < args.length) norm.push(`--${name}=${args[++i]}`);
      else throw new UsageError(`option '${flag(name)}' argument missing`);
      break;
    }
  }
  const pa = Object.fromEntries(
    Object.entries(options).map(([name, o]) => [
      name,
      { type: o.value ? ('string' as const) : ('boolean' as const), multiple: !!o.multiple },
    ]),
  );
  let r;
  try {
    r = parseArgs({ args: norm, options: pa, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]!);
  }
  const values: Values = {};
  for (const [name, o] of Object.entries(options)) {
    const v = (r.values as Values)[name];
    values[camel(name)] = v ?? (o.multiple ? [] : o.default);
  }
  return { values, positionals: r.positionals, rest };
}

// ---------- help, in commander's layout ----------

const WIDTH = 80;

export function wrap(text: string, indent: number): string {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && indent + line.length + 1 + w.length > WIDTH) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  lines.push(line);
  return lines.join('\n' + ' '.repeat(indent));
}

/** A help section; `w` is the term column's width (shared by the sections of one page). */
export function table(title: string, rows: [string, string][], w: number): string {
  if (!rows.length) return '';
  const body = rows.map(([t, d]) => `  ${t.padEnd(w)}${wrap(d, w + 2)}`.trimEnd()).join('\n');
  return `\n${title}:\n${body}\n`;
}

export const termWidth = (...sections: [string, string][][]): number =>
  Math.max(0, ...sections.flat().map(([t]) => t.length)) + 2;

export function optionRows(options: Options): [string, string][] {
  return Object.entries(options).map(([name, o]) => [
    `${o.short ? `-${o.short}, ` : ''}--${name}${o.value ? ` <${o.value}>` : ''}`,
    o.help + (o.default !== undefined ? ` (default: "${o.default}")` : ''),
  ]);
}

export function argUsage(args: ArgumentSpec[]): string {
  return args
    .map((a) =>
      a.required ? `<${a.name}${a.variadic ? '...' : ''}>` : `[${a.name}${a.variadic ? '...' : ''}]`,
    )
    .join(' ');
}
