// A ResourceDef with the defaults most kinds share.
import type { ResourceDef } from './types.js';

export function define(
  d: Omit<ResourceDef, 'singular' | 'strategy'> & Partial<Pick<ResourceDef, 'singular' | 'strategy'>>,
): ResourceDef {
  return { singular: d.kind.toLowerCase(), strategy: {}, ...d };
}
