// Validation of networking.k8s.io/v1 NetworkPolicy objects, following the API server's rules
// (ValidateNetworkPolicy): every problem is one message that names the field and says what is allowed.
import { parseCidr } from './ip.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const absent = (v: unknown) => v === undefined || v === null;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];

/** A Kubernetes port name (IANA_SVC_NAME): what a container port's `name` may be. */
export function isPortName(s: string): boolean {
  return (
    s.length >= 1 &&
    s.length <= 15 &&
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(s) &&
    /[a-z]/.test(s) &&
    !s.includes('--')
  );
}

function labelKeyError(k: string): string | undefined {
  const slash = k.lastIndexOf('/');
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return `prefix "${prefix}" must be a DNS subdomain (lowercase letters, digits, '-' and '.')`;
  if (name.length > 63 || !LABEL_NAME.test(name))
    return `"${k}" must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (optionally prefixed by a DNS subdomain and '/')`;
  return undefined;
}

function labelValueError(v: unknown): string | undefined {
  if (typeof v !== 'string') return 'must be a string';
  if (v.length > 63 || !LABEL_VALUE.test(v))
    return `"${v}" must be empty or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  return undefined;
}

function validateSelector(sel: unknown, at: string, errs: string[]): void {
  if (!isObj(sel)) {
    errs.push(`${at}: must be a label selector object ({} selects everything)`);
    return;
  }
  const ml = sel.matchLabels;
  if (!absent(ml)) {
    if (!isObj(ml)) errs.push(`${at}.matchLabels: must be a map of label keys to values`);
    else
      for (const [k, v] of Object.entries(ml)) {
        const ke = labelKeyError(k);
        if (ke) errs.push(`${at}.matchLabels: key ${ke}`);
        const ve = labelValueError(v);
        if (ve) errs.push(`${at}.matchLabels.${k}: ${ve}`);
      }
  }
  const me = sel.matchExpressions;
  if (absent(me)) return;
  if (!Array.isArray(me)) {
    errs.push(`${at}.matchExpressions: must be a list of {key, operator, values}`);
    return;
  }
  me.forEach((e: unknown, i) => {
    const f = `${at}.matchExpressions[${i}]`;
    if (!isObj(e)) return void errs.push(`${f}: must be an object with key, operator and values`);
    if (typeof e.key !== 'string' || e.key === '') errs.push(`${f}.key: required`);
    else {
      const ke = labelKeyError(e.key);
      if (ke) errs.push(`${f}.key: ${ke}`);
    }
    const op = e.operator;
    if (typeof op !== 'string' || !OPERATORS.includes(op)) {
      errs.push(`${f}.operator: "${String(op)}" is not one of ${OPERATORS.join(', ')}`);
      return;
    }
    const values = e.values ?? [];
    if (!Array.isArray(values)) return void errs.push(`${f}.values: must be a list of strings`);
    if ((op === 'In' || op === 'NotIn') && values.length === 0)
      errs.push(`${f}.values: must be non-empty when operator is ${op}`);
    if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0)
      errs.push(`${f}.values: must be empty when operator is ${op}`);
    values.forEach((v: unknown, j) => {
      const ve = labelValueError(v);
      if (ve) errs.push(`${f}.values[${j}]: ${ve}`);
    });
  });
}

function validatePort(p: unknown, at: string, errs: string[]): void {
  if (!isObj(p)) return void errs.push(`${at}: must be an object with protocol, port and endPort`);
  if (!absent(p.protocol) && !PROTOCOLS.includes(p.protocol as string))
    errs.push(`${at}.protocol: "${String(p.protocol)}" is not one of TCP, UDP, SCTP`);
  const port = p.port;
  let numeric: number | undefined;
  if (typeof port === 'number') {
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      errs.push(`${at}.port: ${port} must be between 1 and 65535`);
    else numeric = port;
  } else if (typeof port === 'string') {
    if (!isPortName(port))
      errs.push(
        `${at}.port: "${port}" must be a number 1-65535 or a port name (1-15 lowercase letters, digits and '-', with at least one letter, e.g. "http")`,
      );
  } else if (!absent(port)) errs.push(`${at}.port: must be a number or a port name`);
  const end = p.endPort;
  if (absent(end)) return;
  if (typeof end !== 'number' || !Number.isInteger(end) || end < 1 || end > 65535)
    return void errs.push(`${at}.endPort: must be a number between 1 and 65535`);
  if (absent(port)) errs.push(`${at}.endPort: may not be set without port`);
  else if (typeof port === 'string') errs.push(`${at}.endPort: may not be set when port is a named port`);
  else if (numeric !== undefined && end < numeric)
    errs.push(`${at}.endPort: ${end} must be greater than or equal to port (${numeric})`);
}

function validateIpBlock(b: unknown, at: string, errs: string[]): void {
  if (!isObj(b)) return void errs.push(`${at}: must be an object with cidr and except`);
  const cidr = typeof b.cidr === 'string' ? parseCidr(b.cidr) : undefined;
  if (!cidr) {
    errs.push(
      `${at}.cidr: ${absent(b.cidr) ? 'required' : `"${String(b.cidr)}" is not a valid CIDR`} (e.g. "10.0.0.0/16" or "fd00::/64")`,
    );
    return;
  }
  if (absent(b.except)) return;
  if (!Array.isArray(b.except)) return void errs.push(`${at}.except: must be a list of CIDRs`);
  b.except.forEach((x: unknown, i) => {
    const e = typeof x === 'string' ? parseCidr(x) : undefined;
    if (!e) return void errs.push(`${at}.except[${i}]: "${String(x)}" is not a valid CIDR`);
    if (e.family !== cidr.family || e.prefix <= cidr.prefix || e.first < cidr.first || e.last > cidr.last)
      errs.push(`${at}.except[${i}]: "${String(x)}" must be a strict subset of cidr "${String(b.cidr)}"`);
  });
}

function validatePeer(p: unknown, at: string, errs: string[]): void {
  if (!isObj(p))
    return void errs.push(`${at}: must be an object with podSelector, namespaceSelector or ipBlock`);
  const pod = !absent(p.podSelector);
  const ns = !absent(p.namespaceSelector);
  const ip = !absent(p.ipBlock);
  if (!pod && !ns && !ip) errs.push(`${at}: must specify podSelector, namespaceSelector or ipBlock`);
  if (ip && (pod || ns))
    errs.push(`${at}: ipBlock may not be combined with podSelector or namespaceSelector`);
  if (pod) validateSelector(p.podSelector, `${at}.podSelector`, errs);
  if (ns) validateSelector(p.namespaceSelector, `${at}.namespaceSelector`, errs);
  if (ip) validateIpBlock(p.ipBlock, `${at}.ipBlock`, errs);
}

function validateRules(rules: unknown, dir: 'ingress' | 'egress', errs: string[]): void {
  const at = `spec.${dir}`;
  if (absent(rules)) return;
  if (!Array.isArray(rules)) return void errs.push(`${at}: must be a list of rules`);
  const peerField = dir === 'ingress' ? 'from' : 'to';
  rules.forEach((r: unknown, i) => {
    const f = `${at}[${i}]`;
    if (!isObj(r)) return void errs.push(`${f}: must be an object with ${peerField} and ports`);
    const ports = r.ports;
    if (!absent(ports)) {
      if (!Array.isArray(ports)) errs.push(`${f}.ports: must be a list`);
      else ports.forEach((p: unknown, j) => validatePort(p, `${f}.ports[${j}]`, errs));
    }
    const peers = r[peerField];
    if (!absent(peers)) {
      if (!Array.isArray(peers)) errs.push(`${f}.${peerField}: must be a list`);
      else peers.forEach((p: unknown, j) => validatePeer(p, `${f}.${peerField}[${j}]`, errs));
    }
  });
}

/** Problems with `obj` as a NetworkPolicy, one line each; empty when it is valid. */
export function validateNetworkPolicy(obj: unknown): string[] {
  const errs: string[] = [];
  if (!isObj(obj)) return ['NetworkPolicy: must be an object with metadata and spec'];
  const md = obj.metadata;
  if (!isObj(md)) errs.push('metadata: required (with name and namespace)');
  else {
    const name = md.name;
    if (typeof name !== 'string' || name === '') errs.push('metadata.name: required');
    else if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
      errs.push(`metadata.name: "${name}" must be a DNS subdomain (lowercase letters, digits, '-' and '.')`);
    const ns = md.namespace;
    if (typeof ns !== 'string' || ns === '') errs.push('metadata.namespace: required');
    else if (ns.length > 63 || !DNS_LABEL.test(ns))
      errs.push(`metadata.namespace: "${ns}" must be a DNS label (lowercase letters, digits and '-')`);
  }
  const spec = obj.spec;
  if (!isObj(spec)) {
    errs.push('spec: required (with podSelector; {} selects every pod in the namespace)');
    return errs;
  }
  if (absent(spec.podSelector))
    errs.push('spec.podSelector: required ({} selects every pod in the namespace)');
  else validateSelector(spec.podSelector, 'spec.podSelector', errs);
  const types = spec.policyTypes;
  if (!absent(types)) {
    if (!Array.isArray(types)) errs.push('spec.policyTypes: must be a list of "Ingress" and/or "Egress"');
    else {
      if (types.length > 2) errs.push('spec.policyTypes: may hold at most 2 entries');
      const seen = new Set<unknown>();
      types.forEach((t: unknown, i) => {
        if (t !== 'Ingress' && t !== 'Egress')
          errs.push(`spec.policyTypes[${i}]: "${String(t)}" is not one of Ingress, Egress`);
        else if (seen.has(t)) errs.push(`spec.policyTypes[${i}]: duplicate "${t}"`);
        seen.add(t);
      });
    }
  }
  validateRules(spec.ingress, 'ingress', errs);
  validateRules(spec.egress, 'egress', errs);
  return errs;
}
