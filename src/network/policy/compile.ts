// Compiles resolved NetworkPolicies into one `nft -f` script for an `inet` table that replaces the
// previous table atomically. Shape (one set/chain per policy rule, one verdict-map entry per pod IP,
// so the ruleset grows linearly with policies and pods):
//
//   forward hook, priority filter-1  "egress":  established/related accept; saddr vmap @egress4/6
//   forward hook, priority filter    "ingress": established/related accept; daddr vmap @ingress4/6
//   verdict maps: pod IP → jump {ingress,egress}-g<N>, one chain per distinct set of policies
//   group chain: jump p<N>-{in,eg} for each of its policies, then counter drop
//   policy chain: one `... accept` per rule/family/protocol (named sets hold peers and named ports)
//
// Accept inside a base chain only ends that base chain, so a packet between two pods must pass the
// sender's egress chain and then the receiver's ingress chain; drop is final.
// Traffic from and to the node itself (input/output hooks) is always allowed, as Kubernetes defines;
// with nodeTraffic 'enforce' it is policed as well (the node is then just another address).
import { PolicyError } from './errors.js';
import { rangeElement, formatIp, type Family, type Range } from './ip.js';
import { resolvePolicies, type PodAddr, type RuleMatch } from './resolve.js';
import type { PolicyState } from './types.js';

export interface CompileOptions {
  table: string;
  /** 'allow' (default): the node may always talk to its pods. 'enforce': police it like any peer. */
  nodeTraffic?: 'allow' | 'enforce';
}

export interface Compiled {
  script: string;
  rules: number;
  setElements: number;
  /** Invalid policies skipped, duplicate or invalid pod IPs ignored. */
  warnings: string[];
}

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const IP: Record<Family, string> = { 4: 'ip', 6: 'ip6' };
const ADDR_TYPE: Record<Family, string> = { 4: 'ipv4_addr', 6: 'ipv6_addr' };
const FAMILIES: Family[] = [4, 6];

const quote = (s: string) => `"${s.replace(/["\\]/g, '').slice(0, 120)}"`;

class Script {
  private readonly decls: string[] = [];
  private readonly chains: string[] = [];
  private readonly sets = new Map<string, string>();
  rules = 0;
  setElements = 0;

  /** Declares a set and returns its name; rules with the same peers or ports share one set. */
  set(kind: string, type: string, elements: string[], interval = false): string {
    const flags = interval ? ' flags interval;' : '';
    const elems = elements.length ? ` elements = { ${elements.join(', ')} }` : '';
    const body = `{ type ${type};${flags}${elems} }`;
    let name = this.sets.get(body);
    if (name) return name;
    name = `${kind}-${this.sets.size}`;
    this.sets.set(body, name);
    this.decls.push(`  set ${name} ${body}`);
    this.setElements += elements.length;
    return name;
  }

  /** A set with a fixed name. */
  namedSet(name: string, type: string, elements: string[]): void {
    const elems = elements.length ? ` elements = { ${elements.join(', ')} }` : '';
    this.decls.push(`  set ${name} { type ${type};${elems} }`);
    this.setElements += elements.length;
  }

  map(name: string, type: string, elements: string[]): void {
    const elems = elements.length ? ` elements = { ${elements.join(', ')} }` : '';
    this.decls.push(`  map ${name} { type ${type} : verdict;${elems} }`);
    this.setElements += elements.length;
  }

  chain(name: string, rules: string[], base?: string): void {
    this.rules += rules.length;
    const head = base ? [`    ${base}`] : [];
    this.chains.push(`  chain ${name} {`, ...head, ...rules.map((r) => `    ${r}`), '  }');
  }

  text(table: string): string {
    // Creating then deleting makes the delete valid when the table does not exist yet; nft -f runs
    // the whole file as one transaction, so the old ruleset stays until the new one is complete.
    return [
      `table inet ${table} {}`,
      `delete table inet ${table}`,
      `table inet ${table} {`,
      ...this.decls,
      ...this.chains,
      '}',
      '',
    ].join('\n');
  }
}

function portSet(rs: Range[]): string {
  const els = rs.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
  return els.length === 1 ? els[0]! : `{ ${els.join(', ')} }`;
}

/** The nft rules of one NetworkPolicy rule. `dir` says which address the peers are matched on. */
function ruleLines(s: Script, m: RuleMatch, dir: 'in' | 'eg', comment: string): string[] {
  const lines: string[] = [];
  const peerSet: Partial<Record<Family, string>> = {};
  const peerField = dir === 'in' ? 'saddr' : 'daddr';
  // Without peers a rule matches any address of either family, so it is written once.
  const fams: Array<Family | undefined> = m.peers
    ? FAMILIES.filter((f) => m.peers![f].length > 0)
    : [undefined];
  for (const f of fams) {
    let peer = '';
    if (f !== undefined) {
      peerSet[f] = s.set(
        `peers${f}`,
        ADDR_TYPE[f],
        m.peers![f].map((r) => rangeElement(f, r)),
        true,
      );
      peer = `${IP[f]} ${peerField} @${peerSet[f]} `;
    }
    if (!m.ports) {
      lines.push(`${peer}accept comment ${comment}`);
      continue;
    }
    for (const [proto, ranges] of [...m.ports.numeric].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const dport = ranges === 'all' ? '' : ` th dport ${portSet(ranges)}`;
      lines.push(`${peer}meta l4proto ${proto}${dport} accept comment ${comment}`);
    }
  }
  if (m.ports) {
    // Named ports were resolved per destination address; egress peers are already folded in.
    for (const f of FAMILIES) {
      const named = m.ports.named.filter((n) => n.family === f);
      if (named.length === 0) continue;
      let peer = '';
      if (dir === 'in' && m.peers) {
        if (m.peers[f].length === 0) continue;
        peer = `${IP[f]} saddr @${peerSet[f]!} `;
      }
      const els = [...new Set(named.map((n) => `${formatIp(f, n.ip)} . ${n.proto} . ${n.port}`))].sort();
      const name = s.set(`ports${f}`, `${ADDR_TYPE[f]} . inet_proto . inet_service`, els);
      lines.push(`${peer}${IP[f]} daddr . meta l4proto . th dport @${name} accept comment ${comment}`);
    }
  }
  return lines;
}

const sortAddrs = (as: PodAddr[]) =>
  [...as].sort((a, b) => a.family - b.family || (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));

/** Compiles `state`; also reports the rule and set-element counts. Pure: no I/O. */
export function compilePolicy(state: PolicyState, opts: CompileOptions): Compiled {
  if (!TABLE_NAME.test(opts.table))
    throw new PolicyError(
      `table: "${opts.table}" is not a valid nftables table name (a letter, then up to 63 letters, digits, '_' or '-')`,
    );
  const res = resolvePolicies(state);
  const s = new Script();
  const polChains: Record<'in' | 'eg', Map<number, string>> = { in: new Map(), eg: new Map() };
  // Which policies isolate each pod address, per direction.
  const isolating: Record<'in' | 'eg', Map<PodAddr, number[]>> = { in: new Map(), eg: new Map() };
  const addrsOf = new Map<object, PodAddr[]>();
  for (const a of res.addrs.values()) {
    const list = addrsOf.get(a.pod);
    if (list) list.push(a);
    else addrsOf.set(a.pod, [a]);
  }

  res.policies.forEach((p, i) => {
    for (const dir of ['in', 'eg'] as const) {
      const rules = dir === 'in' ? p.ingress : p.egress;
      if (!rules) continue;
      const comment = quote(p.key);
      const lines = rules.flatMap((m) => ruleLines(s, m, dir, comment));
      const name = `p${i}-${dir}`;
      s.chain(name, lines);
      polChains[dir].set(i, name);
      for (const pod of p.selected)
        for (const a of addrsOf.get(pod) ?? []) {
          const list = isolating[dir].get(a);
          if (list) list.push(i);
          else isolating[dir].set(a, [i]);
        }
    }
  });

  const direction = { in: 'ingress', eg: 'egress' } as const;
  for (const dir of ['in', 'eg'] as const) {
    const groups = new Map<string, string>();
    const elements: Record<Family, string[]> = { 4: [], 6: [] };
    for (const a of sortAddrs([...isolating[dir].keys()])) {
      const pols = isolating[dir].get(a)!;
      const k = pols.join(',');
      let chain = groups.get(k);
      if (!chain) {
        chain = `${direction[dir]}-g${groups.size}`;
        groups.set(k, chain);
        const jumps = pols.map(
          (i) => `jump ${polChains[dir].get(i)!} comment ${quote(res.policies[i]!.key)}`,
        );
        s.chain(chain, [...jumps, 'counter drop']);
      }
      elements[a.family].push(`${formatIp(a.family, a.ip)} : jump ${chain}`);
    }
    for (const f of FAMILIES) s.map(`${direction[dir]}${f}`, ADDR_TYPE[f], elements[f]);
  }

  // A pod can always reach itself, even through a service that sends it back (hairpin).
  const self: Record<Family, string[]> = { 4: [], 6: [] };
  for (const a of sortAddrs([...new Set([...isolating.in.keys(), ...isolating.eg.keys()])])) {
    const ip = formatIp(a.family, a.ip);
    self[a.family].push(`${ip} . ${ip}`);
  }
  for (const f of FAMILIES) s.namedSet(`self${f}`, `${ADDR_TYPE[f]} . ${ADDR_TYPE[f]}`, self[f]);

  const head = (dir: 'in' | 'eg', field: 'saddr' | 'daddr') => [
    'ct state established,related accept',
    ...FAMILIES.map((f) => `${IP[f]} saddr . ${IP[f]} daddr @self${f} accept`),
    ...FAMILIES.map((f) => `${IP[f]} ${field} vmap @${direction[dir]}${f}`),
  ];
  const base = (hook: string, prio: string) => `type filter hook ${hook} priority ${prio}; policy accept;`;
  // Egress is checked before ingress so that a pod-to-pod packet passes both.
  s.chain('forward-egress', head('eg', 'saddr'), base('forward', 'filter - 1'));
  s.chain('forward-ingress', head('in', 'daddr'), base('forward', 'filter'));
  if (opts.nodeTraffic === 'enforce') {
    s.chain('node-to-pod', head('in', 'daddr'), base('output', 'filter'));
    s.chain('pod-to-node', head('eg', 'saddr'), base('input', 'filter'));
  }
  return { script: s.text(opts.table), rules: s.rules, setElements: s.setElements, warnings: res.warnings };
}

/** The `nft -f` script that makes `state` the table's whole content. */
export function compileRuleset(state: PolicyState, opts: CompileOptions): string {
  return compilePolicy(state, opts).script;
}
