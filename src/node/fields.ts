// Downward API values (env valueFrom.fieldRef and downwardAPI volumes) and the container
// environment: image Env, then the container's env in order, with $(VAR) references expanded
// as the kubelet does (an unknown reference stays as written, $$ is a literal $).
import type { Container, Pod } from './types.js';

export interface FieldContext {
  pod: Pod;
  nodeName: string;
  podIP?: string;
  hostIP?: string;
}

export class FieldError extends Error {
  override name = 'FieldError';
}

function formatMap(m: Record<string, string> | undefined): string {
  return Object.entries(m ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join('\n');
}

/** The value of a fieldRef.fieldPath. */
export function fieldValue(path: string, ctx: FieldContext): string {
  const md = ctx.pod.metadata;
  const sub = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(path);
  if (sub) return (sub[1] === 'labels' ? md.labels : md.annotations)?.[sub[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return md.name;
    case 'metadata.namespace':
      return md.namespace;
    case 'metadata.uid':
      return md.uid;
    case 'metadata.labels':
      return formatMap(md.labels);
    case 'metadata.annotations':
      return formatMap(md.annotations);
    case 'spec.nodeName':
      return ctx.nodeName;
    case 'spec.serviceAccountName':
      return 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIP ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIP ?? '';
    default:
      throw new FieldError(
        `fieldRef.fieldPath "${path}" is not supported; use metadata.name, metadata.namespace, metadata.uid, metadata.labels, metadata.annotations, spec.nodeName or status.podIP`,
      );
  }
}

/** Expand $(VAR) with the variables defined so far. */
export function expand(s: string, vars: Map<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return vars.get(name!) ?? m;
  });
}

export interface EnvSources {
  configMapKey(name: string, key: string): string | undefined;
  secretKey(name: string, key: string): string | undefined;
}

export function containerEnv(
  c: Container,
  base: string[],
  ctx: FieldContext,
  src: EnvSources,
): Map<string, string> {
  const vars = new Map<string, string>();
  for (const kv of base) {
    const eq = kv.indexOf('=');
    if (eq > 0) vars.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  for (const e of c.env ?? []) {
    let v: string | undefined;
    if (e.value !== undefined) v = expand(String(e.value), vars);
    else if (e.valueFrom?.fieldRef) v = fieldValue(e.valueFrom.fieldRef.fieldPath, ctx);
    else if (e.valueFrom?.configMapKeyRef) {
      const r = e.valueFrom.configMapKeyRef;
      v = src.configMapKey(r.name, r.key);
      if (v === undefined && !r.optional)
        throw new FieldError(
          `env ${e.name}: configMap "${r.name}" has no key "${r.key}"; add it or mark optional`,
        );
    } else if (e.valueFrom?.secretKeyRef) {
      const r = e.valueFrom.secretKeyRef;
      v = src.secretKey(r.name, r.key);
      if (v === undefined && !r.optional)
        throw new FieldError(
          `env ${e.name}: secret "${r.name}" has no key "${r.key}"; add it or mark optional`,
        );
    } else v = '';
    if (v !== undefined) vars.set(e.name, v);
  }
  return vars;
}
