// Pressure stall information (cpu.pressure, memory.pressure, io.pressure).
import type { PsiLine, PsiStats } from './types.js';
import { parseNestedKeyed, readText } from './fs.js';

export function parsePsi(text: string | undefined): PsiStats | undefined {
  if (!text) return undefined;
  const m = parseNestedKeyed(text);
  const line = (k: string): PsiLine | undefined => {
    const l = m.get(k);
    if (!l) return undefined;
    return {
      avg10: Number(l.get('avg10') ?? 0),
      avg60: Number(l.get('avg60') ?? 0),
      avg300: Number(l.get('avg300') ?? 0),
      total: Number(l.get('total') ?? 0),
    };
  };
  const some = line('some');
  if (!some) return undefined;
  const full = line('full');
  return full ? { some, full } : { some };
}

/** PSI of a cgroup2 directory; reading fails with EOPNOTSUPP when PSI is off (psi=0). */
export async function readPsi(
  dir: string,
): Promise<Partial<Record<'cpu' | 'memory' | 'io', PsiStats>> | undefined> {
  const out: Partial<Record<'cpu' | 'memory' | 'io', PsiStats>> = {};
  for (const r of ['cpu', 'memory', 'io'] as const) {
    try {
      const p = parsePsi(await readText(dir, `${r}.pressure`));
      if (p) out[r] = p;
    } catch {
      /* PSI disabled */
    }
  }
  return Object.keys(out).length ? out : undefined;
}
