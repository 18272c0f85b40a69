// Plugin results. Spec 0.3.x/0.4.0 and 1.x results differ only in small ways (0.x tags each IP
// with "version": "4"|"6"; 1.1.0 adds route and interface fields), so Corral keeps one 1.x-shaped
// CniResult and converts to the configuration's version when a result goes back to a plugin as
// prevResult.
import { CNI_ERR_BAD_OUTPUT, CniError } from './errors.js';
import { atLeast } from './version.js';

export interface CniInterface {
  name: string;
  mac?: string;
  mtu?: number;
  /** Set on the interfaces inside the container: its network namespace path. */
  sandbox?: string;
  socketPath?: string;
  pciID?: string;
}

export interface CniIPConfig {
  /** CIDR form: "10.88.0.2/16". */
  address: string;
  gateway?: string;
  /** Index into `interfaces`. */
  interface?: number;
}

export interface CniRoute {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

export interface CniDNS {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface CniResult {
  /** The version the producing plugin answered in. */
  cniVersion: string;
  interfaces: CniInterface[];
  ips: CniIPConfig[];
  routes: CniRoute[];
  dns: CniDNS;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validate a plugin's result (0.3.0 … 1.1.0) and normalise it. */
export function parseResult(raw: unknown, plugin: string, command = 'ADD'): CniResult {
  const bad = (why: string): never => {
    throw new CniError({ plugin, command, code: CNI_ERR_BAD_OUTPUT, msg: `invalid result: ${why}` });
  };
  if (!isObject(raw)) return bad('not a JSON object');
  const v = raw.cniVersion;
  if (typeof v !== 'string') return bad('no "cniVersion"');
  if (!atLeast(v, '0.3.0'))
    return bad(`result version ${v} is not supported (0.3.0 or newer); set a newer cniVersion in the config`);
  const arr = (k: string): unknown[] => {
    const a = raw[k];
    if (a === undefined || a === null) return [];
    if (!Array.isArray(a)) return bad(`"${k}" must be an array`);
    return a;
  };
  const interfaces = arr('interfaces').map((i, n): CniInterface => {
    if (!isObject(i) || typeof i.name !== 'string') return bad(`interfaces[${n}] needs a "name"`);
    return pick(i, ['name', 'mac', 'mtu', 'sandbox', 'socketPath', 'pciID']) as unknown as CniInterface;
  });
  const ips = arr('ips').map((ip, n): CniIPConfig => {
    if (!isObject(ip) || typeof ip.address !== 'string' || !ip.address.includes('/'))
      return bad(`ips[${n}].address must be an address in CIDR form`);
    const idx = ip.interface;
    if (
      idx !== undefined &&
      (typeof idx !== 'number' || !Number.isInteger(idx) || idx < 0 || idx >= interfaces.length)
    )
      return bad(`ips[${n}].interface ${String(idx)} is not an index into interfaces`);
    // 0.x "version" is dropped: the address says it.
    return pick(ip, ['address', 'gateway', 'interface']) as unknown as CniIPConfig;
  });
  const routes = arr('routes').map((r, n): CniRoute => {
    if (!isObject(r) || typeof r.dst !== 'string') return bad(`routes[${n}] needs a "dst"`);
    return pick(r, ['dst', 'gw', 'mtu', 'advmss', 'priority', 'table', 'scope']) as unknown as CniRoute;
  });
  const dns = isObject(raw.dns)
    ? (pick(raw.dns, ['nameservers', 'domain', 'search', 'options']) as CniDNS)
    : {};
  return { cniVersion: v, interfaces, ips, routes, dns };
}

/** The wire form of `r` for a plugin speaking `version` (used for prevResult). */
export function resultForVersion(r: CniResult, version: string): Json {
  const v1 = atLeast(version, '1.0.0');
  const v11 = atLeast(version, '1.1.0');
  const out: Json = {
    cniVersion: version,
    interfaces: r.interfaces.map((i) => (v11 ? { ...i } : omit(i, ['socketPath', 'pciID']))),
    ips: r.ips.map((ip) => (v1 ? { ...ip } : { version: ip.address.includes(':') ? '6' : '4', ...ip })),
    routes: r.routes.map((rt) => (v11 ? { ...rt } : pick(rt as unknown as Json, ['dst', 'gw']))),
    dns: { ...r.dns },
  };
  return out;
}

/** The addresses (no prefix length) of the IPs on the container's interfaces (those with a sandbox). */
export function podIPs(r: CniResult): string[] {
  return r.ips
    .filter((ip) => ip.interface !== undefined && r.interfaces[ip.interface]?.sandbox)
    .map((ip) => ip.address.slice(0, ip.address.indexOf('/')));
}

function pick(o: Json, keys: string[]): Json {
  const out: Json = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

function omit(o: object, keys: string[]): Json {
  const out: Json = { ...o };
  for (const k of keys) delete out[k];
  return out;
}
