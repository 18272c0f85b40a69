// Reading manifest files: YAML (several documents per file allowed) with Pods, ConfigMaps,
// Secrets, and the Namespaces and NetworkPolicies the policy engine enforces. A static pod gets its UID as the kubelet does: a hash of the manifest's content, so an
// unchanged file keeps its pod across agent restarts and a changed file makes a new pod.
import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import type { ConfigMap, Container, NamespaceObject, NetworkPolicyObject, Pod, Secret } from './types.js';

export class ManifestError extends Error {
  override name = 'ManifestError';
}

export interface ParsedFile {
  pods: Pod[];
  configMaps: ConfigMap[];
  secrets: Secret[];
  namespaces: NamespaceObject[];
  networkPolicies: NetworkPolicyObject[];
}

/** Checks a NetworkPolicy's spec; returns problems as `field: message`. Set by the agent (the
 *  validator lives in the network layer, which this parser must not depend on for its types). */
export type PolicyValidator = (obj: unknown) => string[];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function fail(file: string, field: string, problem: string): never {
  throw new ManifestError(`${file}: ${field}: ${problem}`);
}

function uidOf(text: string, key: string): string {
  const h = createHash('sha256').update(key).update('\0').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function checkContainer(file: string, c: Container, field: string, names: Set<string>): void {
  if (typeof c !== 'object' || c === null) fail(file, field, 'must be a mapping');
  if (typeof c.name !== 'string' || !DNS_LABEL.test(c.name) || c.name.length > 63)
    fail(file, `${field}.name`, `"${c.name ?? ''}" is not a DNS label; use lowercase letters, digits and -`);
  if (names.has(c.name))
    fail(file, `${field}.name`, `"${c.name}" is used twice; container names must be unique`);
  names.add(c.name);
  if (typeof c.image !== 'string' || !c.image)
    fail(file, `${field}.image`, 'required; give an image, e.g. image: busybox');
  for (const k of ['command', 'args'] as const) {
    const v = c[k];
    if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string')))
      fail(file, `${field}.${k}`, 'must be a list of strings (quote numbers)');
  }
  if (c.workingDir !== undefined && !String(c.workingDir).startsWith('/'))
    fail(file, `${field}.workingDir`, `"${c.workingDir}" must be an absolute path`);
  for (const [i, e] of (c.env ?? []).entries())
    if (!e || typeof e.name !== 'string' || !e.name) fail(file, `${field}.env[${i}].name`, 'required');
  for (const [i, m] of (c.volumeMounts ?? []).entries())
    if (!m?.mountPath?.startsWith('/'))
      fail(file, `${field}.volumeMounts[${i}].mountPath`, 'must be an absolute path');
}

function checkPod(file: string, pod: Pod): void {
  const md = pod.metadata;
  if (!md || typeof md.name !== 'string' || !DNS_SUBDOMAIN.test(md.name))
    fail(
      file,
      'metadata.name',
      `"${md?.name ?? ''}" is not a valid name; use lowercase letters, digits, - and .`,
    );
  if (md.namespace !== undefined && !DNS_LABEL.test(md.namespace))
    fail(file, 'metadata.namespace', `"${md.namespace}" is not a DNS label`);
  const spec = pod.spec;
  if (!spec || !Array.isArray(spec.containers) || spec.containers.length === 0)
    fail(file, 'spec.containers', 'a Pod needs at least one container');
  const names = new Set<string>();
  spec.containers.forEach((c, i) => checkContainer(file, c, `spec.containers[${i}]`, names));
  (spec.initContainers ?? []).forEach((c, i) => checkContainer(file, c, `spec.initContainers[${i}]`, names));
  if (spec.restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy))
    fail(file, 'spec.restartPolicy', `"${spec.restartPolicy}": use Always, OnFailure or Never`);
  const vols = new Set<string>();
  for (const [i, v] of (spec.volumes ?? []).entries()) {
    if (!v?.name || !DNS_LABEL.test(v.name)) fail(file, `spec.volumes[${i}].name`, 'must be a DNS label');
    vols.add(v.name);
  }
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])])
    for (const m of c.volumeMounts ?? [])
      if (!vols.has(m.name))
        fail(file, `containers[${c.name}].volumeMounts`, `volume "${m.name}" is not in spec.volumes`);
  if (spec.hostname !== undefined && !DNS_LABEL.test(spec.hostname))
    fail(file, 'spec.hostname', `"${spec.hostname}" is not a DNS label`);
}

/** Parse a manifest file's text; `file` names it in errors. */
export function parseManifest(text: string, file: string, validatePolicy?: PolicyValidator): ParsedFile {
  const out: ParsedFile = { pods: [], configMaps: [], secrets: [], namespaces: [], networkPolicies: [] };
  const docs = parseAllDocuments(text);
  for (const [i, doc] of (Array.isArray(docs) ? docs : [docs]).entries()) {
    if (doc.errors.length)
      throw new ManifestError(`${file}: not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
    const obj = doc.toJSON() as { apiVersion?: string; kind?: string; metadata?: { name?: string } } | null;
    if (obj === null || obj === undefined) continue;
    if (typeof obj !== 'object')
      fail(file, `document ${i + 1}`, 'must be a mapping with apiVersion and kind');
    const want = obj.kind === 'NetworkPolicy' ? 'networking.k8s.io/v1' : 'v1';
    if (obj.apiVersion !== want)
      fail(
        file,
        'apiVersion',
        `"${obj.apiVersion ?? ''}" is not supported for ${obj.kind}; use apiVersion: ${want}`,
      );
    const docText = doc.toString();
    switch (obj.kind) {
      case 'Pod': {
        const pod = obj as Pod;
        checkPod(file, pod);
        pod.metadata.namespace ??= 'default';
        pod.metadata.uid ??= uidOf(docText, `${pod.metadata.namespace}/${pod.metadata.name}`);
        out.pods.push(pod);
        break;
      }
      case 'ConfigMap':
      case 'Secret': {
        if (!obj.metadata?.name) fail(file, 'metadata.name', 'required');
        const o = obj as ConfigMap | Secret;
        o.metadata.namespace ??= 'default';
        if (o.kind === 'ConfigMap') out.configMaps.push(o);
        else out.secrets.push(o);
        break;
      }
      case 'Namespace': {
        const ns = obj as NamespaceObject;
        if (!ns.metadata?.name || !DNS_LABEL.test(ns.metadata.name))
          fail(file, 'metadata.name', `"${ns.metadata?.name ?? ''}" is not a DNS label`);
        // The API server labels every namespace with its name; namespaceSelectors rely on it.
        ns.metadata.labels = { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name };
        out.namespaces.push(ns);
        break;
      }
      case 'NetworkPolicy': {
        const np = obj as NetworkPolicyObject;
        if (!np.metadata?.name || !DNS_SUBDOMAIN.test(np.metadata.name))
          fail(file, 'metadata.name', `"${np.metadata?.name ?? ''}" is not a valid name`);
        np.metadata.namespace ??= 'default';
        const problems = validatePolicy?.(np) ?? [];
        if (problems.length) fail(file, `NetworkPolicy ${np.metadata.name}`, problems.join('; '));
        out.networkPolicies.push(np);
        break;
      }
      default:
        fail(
          file,
          'kind',
          `"${obj.kind ?? ''}" is not supported here; use Pod, ConfigMap, Secret, Namespace or NetworkPolicy`,
        );
    }
  }
  return out;
}

/** `namespace/name`. */
export const podKey = (p: { metadata: { name: string; namespace?: string } }): string =>
  `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
