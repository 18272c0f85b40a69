// A crash's stack trace in terms of the TypeScript sources. The bundles the bin/ shims run have
// short (minified) names and one line per module, which a trace does not say much about; their
// source maps (dist/bundle/*.cjs.map, next to them) do. Read only when something crashed.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `at name (FILE.cjs:LINE:COL)` or `at FILE.cjs:LINE:COL`. */
const FRAME = /([( ])([^()\s]+\.cjs):(\d+):(\d+)(\)?)$/;

interface Entry {
  originalSource?: string;
  originalLine?: number;
  originalColumn?: number;
}
interface Finder {
  findEntry(line: number, column: number): Entry;
}

/**
 * `stack` with every frame in a bundle that has a source map rewritten to the source file, line
 * and column it came from (the function names stay as they are). Frames without a map, or that
 * the map does not cover, are left alone.
 */
export async function sourceMappedStack(stack: string): Promise<string> {
  const { SourceMap } = await import('node:module');
  const maps = new Map<string, Finder | undefined>();
  const mapOf = (file: string): Finder | undefined => {
    if (!maps.has(file)) {
      let map: Finder | undefined;
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
      } catch {
        map = undefined;
      }
      maps.set(file, map);
    }
    return maps.get(file);
  };
  return stack
    .split('\n')
    .map((line) => {
      const m = FRAME.exec(line);
      if (!m) return line;
      const [, open, file, row, col, close] = m as unknown as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      const e = mapOf(file)?.findEntry(Number(row) - 1, Number(col) - 1);
      if (!e?.originalSource || e.originalLine === undefined || e.originalColumn === undefined) return line;
      const source = e.originalSource.startsWith('file:')
        ? fileURLToPath(e.originalSource)
        : resolve(dirname(file), e.originalSource);
      return `${line.slice(0, m.index)}${open}${source}:${e.originalLine + 1}:${e.originalColumn + 1}${close}`;
    })
    .join('\n');
}
