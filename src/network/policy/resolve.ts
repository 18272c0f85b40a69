// NetworkPolicy semantics, evaluated against the node's view of pods and namespaces: which pods a
// policy isolates and, for each rule, which addresses and ports it allows. The result has no nft in
// it; compile.ts turns it into a ruleset.
import {
  mergeRanges,
  parseCidr,
  parseIp,
  rangesContain,
  subtractRanges,
  type Family,
  type Range,
} from './ip.js';
import { selectorMatches } from './selector.js';
import type {
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  PolicyPod,
  PolicyState,
  Protocol,
} from './types.js';
import { validateNetworkPolicy } from './validate.js';

export type Proto = 'tcp' | 'udp' | 'sctp';
export type AddrRanges = Record<Family, Range[]>;

/** A named port resolved on one pod address. */
export interface NamedPort {
  family: Family;
  ip: bigint;
  proto: Proto;
  port: number;
}

export interface RuleMatch {
  /** null: any address. */
  peers: AddrRanges | null;
  /** null: any protocol and port. Otherwise the rule matches only these (possibly nothing). */
  ports: null | { numeric: Map<Proto, Range[] | 'all'>; named: NamedPort[] };
}

export interface ResolvedPolicy {
  /** `namespace/name`. */
  key: string;
  /** Addresses of the pods this policy selects (the pods it isolates). */
  selected: PolicyPod[];
  /** Present when the policy isolates selected pods for ingress; the rules are a union. */
  ingress?: RuleMatch[];
  egress?: RuleMatch[];
}

/** A pod address the engine may put into a verdict map. */
export interface PodAddr {
  pod: PolicyPod;
  family: Family;
  ip: bigint;
}

export interface Resolution {
  policies: ResolvedPolicy[];
  /** Address → pod, for the pods policies can apply to (not hostNetwork, valid unique IPs). */
  addrs: Map<string, PodAddr>;
  warnings: string[];
}

const PROTO: Record<Protocol, Proto> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };
const METADATA_NAME = 'kubernetes.io/metadata.name';

const emptyRanges = (): AddrRanges => ({ 4: [], 6: [] });

/** Pods subject to policy with their parsed addresses; the first pod claiming an address wins. */
function podAddrs(pods: PolicyPod[], warnings: string[]): Map<string, PodAddr> {
  const out = new Map<string, PodAddr>();
  for (const pod of pods) {
    if (pod.hostNetwork) continue;
    for (const s of pod.ips) {
      const a = parseIp(s);
      if (!a) {
        warnings.push(`pod ${pod.namespace}/${pod.name}: ignoring invalid IP "${s}"`);
        continue;
      }
      const key = `${a.family}/${a.value}`;
      const prev = out.get(key);
      if (prev) {
        warnings.push(
          `pod ${pod.namespace}/${pod.name}: IP ${s} is already used by ${prev.pod.namespace}/${prev.pod.name}; ignoring it`,
        );
        continue;
      }
      out.set(key, { pod, family: a.family, ip: a.value });
    }
  }
  return out;
}

export function policyTypes(p: NetworkPolicy): { ingress: boolean; egress: boolean } {
  const t = p.spec.policyTypes;
  if (t && t.length > 0) return { ingress: t.includes('Ingress'), egress: t.includes('Egress') };
  // Kubernetes default: Ingress always, Egress only when there are egress rules.
  return { ingress: true, egress: (p.spec.egress ?? []).length > 0 };
}

export function resolvePolicies(state: PolicyState): Resolution {
  const warnings: string[] = [];
  const addrs = podAddrs(state.pods, warnings);
  const byPod = new Map<PolicyPod, PodAddr[]>();
  for (const a of addrs.values()) byPod.set(a.pod, [...(byPod.get(a.pod) ?? []), a]);
  const nsLabels = new Map<string, Record<string, string>>();
  for (const ns of state.namespaces) nsLabels.set(ns.name, { ...ns.labels, [METADATA_NAME]: ns.name });
  // The API server always sets kubernetes.io/metadata.name; a namespace we were not told about has it too.
  const labelsOfNs = (ns: string) => nsLabels.get(ns) ?? { [METADATA_NAME]: ns };

  const peerCache = new Map<string, AddrRanges>();
  const peerRanges = (peer: NetworkPolicyPeer, ns: string): AddrRanges => {
    // The policy's namespace matters only to a podSelector without namespaceSelector.
    const k = `${peer.namespaceSelector || peer.ipBlock ? '' : ns}\0${JSON.stringify(peer)}`;
    let r = peerCache.get(k);
    if (!r) peerCache.set(k, (r = computePeer(peer, ns)));
    return r;
  };
  const computePeer = (peer: NetworkPolicyPeer, ns: string): AddrRanges => {
    const r = emptyRanges();
    if (peer.ipBlock) {
      const c = parseCidr(peer.ipBlock.cidr)!;
      const except = (peer.ipBlock.except ?? [])
        .map((e) => parseCidr(e)!)
        .map((e): Range => [e.first, e.last]);
      r[c.family] = subtractRanges([[c.first, c.last]], except);
      return r;
    }
    for (const [pod, as] of byPod) {
      const nsOk = peer.namespaceSelector
        ? selectorMatches(peer.namespaceSelector, labelsOfNs(pod.namespace))
        : pod.namespace === ns;
      // A peer with only namespaceSelector means every pod of those namespaces.
      const podOk = peer.podSelector ? selectorMatches(peer.podSelector, pod.labels) : true;
      if (nsOk && podOk) for (const a of as) r[a.family].push([a.ip, a.ip]);
    }
    return r;
  };

  // Many policies repeat the same peers (a namespace, a role label): resolve each list once.
  const peersCache = new Map<string, AddrRanges | null>();
  const rulePeers = (peers: NetworkPolicyPeer[] | null | undefined, ns: string): AddrRanges | null => {
    if (!peers || peers.length === 0) return null;
    const k = `${ns}\0${JSON.stringify(peers)}`;
    const hit = peersCache.get(k);
    if (hit !== undefined) return hit;
    const all = emptyRanges();
    for (const p of peers) {
      const r = peerRanges(p, ns);
      all[4].push(...r[4]);
      all[6].push(...r[6]);
    }
    const merged = { 4: mergeRanges(all[4]), 6: mergeRanges(all[6]) };
    peersCache.set(k, merged);
    return merged;
  };

  /** Named ports resolve on each destination pod among `dests`; numeric ones apply as they are. */
  const rulePorts = (ports: NetworkPolicyPort[] | null | undefined, dests: PodAddr[]): RuleMatch['ports'] => {
    if (!ports || ports.length === 0) return null;
    const numeric = new Map<Proto, Range[] | 'all'>();
    const named: NamedPort[] = [];
    for (const p of ports) {
      const proto = PROTO[p.protocol ?? 'TCP'];
      if (typeof p.port === 'string') {
        for (const d of dests)
          for (const cp of d.pod.ports)
            if (cp.name === p.port && PROTO[cp.protocol ?? 'TCP'] === proto)
              named.push({ family: d.family, ip: d.ip, proto, port: cp.containerPort });
        continue;
      }
      const prev = numeric.get(proto);
      if (p.port === undefined || p.port === null) numeric.set(proto, 'all');
      else if (prev !== 'all') {
        const range: Range = [BigInt(p.port), BigInt(p.endPort ?? p.port)];
        numeric.set(proto, mergeRanges([...(prev ?? []), range]));
      }
    }
    return { numeric, named };
  };

  const policies: ResolvedPolicy[] = [];
  const sorted = state.policies
    .map((p) => ({ p, k: key(p) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  for (const { p: pol } of sorted) {
    const errs = validateNetworkPolicy(pol);
    if (errs.length > 0) {
      warnings.push(`NetworkPolicy ${key(pol)} is invalid and was not applied: ${errs.join('; ')}`);
      continue;
    }
    const ns = pol.metadata.namespace!;
    const selected = [...byPod.keys()].filter(
      (p) => p.namespace === ns && selectorMatches(pol.spec.podSelector, p.labels),
    );
    const selectedAddrs = selected.flatMap((p) => byPod.get(p) ?? []);
    const types = policyTypes(pol);
    const rp: ResolvedPolicy = { key: key(pol), selected };
    if (types.ingress)
      rp.ingress = (pol.spec.ingress ?? []).map((r) => ({
        peers: rulePeers(r.from, ns),
        ports: rulePorts(r.ports, selectedAddrs),
      }));
    if (types.egress)
      rp.egress = (pol.spec.egress ?? []).map((r) => {
        const peers = rulePeers(r.to, ns);
        // Egress named ports resolve on the destination pods the rule's peers allow.
        const dests = [...addrs.values()].filter((a) => !peers || rangesContain(peers[a.family], a.ip));
        return { peers, ports: rulePorts(r.ports, dests) };
      });
    policies.push(rp);
  }
  return { policies, addrs, warnings };
}

function key(p: NetworkPolicy): string {
  return `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;
}
