// PolicyRule matching and covering, as Kubernetes' plugin/pkg/auth/authorizer/rbac (RuleAllows)
// and pkg/registry/rbac/validation (Covers, BreakdownRule) define them.
import type { AuthzAttributes } from '../types.js';

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const has = (set: string[] | undefined, v: string) => !!set?.includes(v);
const hasAll = (set: string[] | undefined, vs: string[] | undefined) => (vs ?? []).every((v) => has(set, v));

const verbMatches = (r: PolicyRule, verb: string) => has(r.verbs, '*') || has(r.verbs, verb);
const apiGroupMatches = (r: PolicyRule, group: string) => has(r.apiGroups, '*') || has(r.apiGroups, group);

/** `pods/log` is matched by `pods/log`, `*` and `*\/log`. */
function resourceMatches(r: PolicyRule, combined: string, subresource: string): boolean {
  for (const rr of r.resources ?? []) {
    if (rr === '*' || rr === combined) return true;
    if (subresource && rr === `*/${subresource}`) return true;
  }
  return false;
}

const resourceNameMatches = (r: PolicyRule, name: string) =>
  !r.resourceNames?.length || has(r.resourceNames, name);

/** A trailing `*` is a prefix match: `/healthz/*` covers `/healthz/etcd`. */
function nonResourceURLMatches(r: PolicyRule, path: string): boolean {
  for (const u of r.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

export function ruleAllows(a: AuthzAttributes, r: PolicyRule): boolean {
  if (a.path !== undefined) return verbMatches(r, a.verb) && nonResourceURLMatches(r, a.path);
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return (
    verbMatches(r, a.verb) &&
    apiGroupMatches(r, a.apiGroup) &&
    resourceMatches(r, combined, a.subresource) &&
    resourceNameMatches(r, a.name)
  );
}

/** One rule split into rules of one verb, group, resource and name each (BreakdownRule). */
function breakdown(r: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const g of r.apiGroups ?? [])
    for (const res of r.resources ?? [])
      for (const v of r.verbs ?? []) {
        if (r.resourceNames?.length)
          for (const n of r.resourceNames)
            out.push({ apiGroups: [g], resources: [res], verbs: [v], resourceNames: [n] });
        else out.push({ apiGroups: [g], resources: [res], verbs: [v] });
      }
  for (const u of r.nonResourceURLs ?? [])
    for (const v of r.verbs ?? []) out.push({ nonResourceURLs: [u], verbs: [v] });
  return out;
}

function resourceCoversAll(set: string[] | undefined, covers: string[] | undefined): boolean {
  if (has(set, '*') || hasAll(set, covers)) return true;
  for (const p of covers ?? []) {
    if (has(set, p)) continue;
    const slash = p.indexOf('/');
    if (slash < 0 || !has(set, `*/${p.slice(slash + 1)}`)) return false;
  }
  return true;
}

const nonResourceURLCovers = (owner: string, sub: string) =>
  owner === sub || (owner.endsWith('*') && sub.startsWith(owner.replace(/\*+$/, '')));

function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, '*') || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, '*') || hasAll(owner.apiGroups, sub.apiGroups);
  const resources = resourceCoversAll(owner.resources, sub.resources);
  const urls = (sub.nonResourceURLs ?? []).every((u) =>
    (owner.nonResourceURLs ?? []).some((o) => nonResourceURLCovers(o, u)),
  );
  const names = sub.resourceNames?.length
    ? !owner.resourceNames?.length || hasAll(owner.resourceNames, sub.resourceNames)
    : !owner.resourceNames?.length;
  return verbs && groups && resources && names && urls;
}

/** The parts of `servant` no rule of `owner` covers (empty: owner holds everything). */
export function uncovered(owner: PolicyRule[], servant: PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const r of servant)
    for (const atom of breakdown(r)) if (!owner.some((o) => ruleCovers(o, atom))) missing.push(atom);
  return missing;
}

/** `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`, as rbacv1helpers.CompactString prints. */
export function compactString(r: PolicyRule): string {
  const q = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${q(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${q(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${q(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${q(r.resourceNames)}`);
  if (r.verbs?.length) parts.push(`Verbs:${q(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}
