// Where a kind's objects live in storage: /registry/<group|core>/<plural>/[<namespace>/]<name>.
import type { ResourceDef } from '../resources/types.js';

export function prefixFor(def: ResourceDef, namespace?: string): string {
  const base = `/registry/${def.group || 'core'}/${def.plural}/`;
  return def.namespaced && namespace ? `${base}${namespace}/` : base;
}

export function keyFor(def: ResourceDef, namespace: string, name: string): string {
  return `${prefixFor(def, def.namespaced ? namespace : undefined)}${name}`;
}

/** The kind, namespace and name a storage key belongs to. */
export function parseKey(
  key: string,
  defs: ResourceDef[],
): { def: ResourceDef; namespace: string; name: string } | undefined {
  const parts = key.split('/');
  // ['', 'registry', group, plural, ns?, name]
  const group = parts[2] === 'core' ? '' : parts[2];
  const def = defs.find((d) => d.group === group && d.plural === parts[3]);
  if (!def) return undefined;
  if (def.namespaced && parts.length === 6) return { def, namespace: parts[4]!, name: parts[5]! };
  if (!def.namespaced && parts.length === 5) return { def, namespace: '', name: parts[4]! };
  return undefined;
}
