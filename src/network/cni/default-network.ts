// Corral's default pod network: a Linux bridge with the gateway on the host and masquerading
// out, addresses from host-local (its leases under Corral's data dir, so nothing writes
// /var/lib/cni), hostPorts through portmap and pod bandwidth limits through bandwidth.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { configFiles, parseNetworkConfig, type NetworkConfigList } from './config.js';
import { CniConfigError } from './errors.js';

export interface DefaultNetworkOptions {
  /** Network name; default "corral". */
  name?: string;
  /** Bridge device on the host; default "corral0". */
  bridge?: string;
  /** Pod subnet in CIDR form; default 10.89.0.0/16. */
  subnet?: string;
  /** Corral's data dir: host-local keeps its leases in <dataDir>/cni/networks/<name>. */
  dataDir: string;
  /** Spec version of the list; default 1.0.0 (what Debian's plugins speak). */
  cniVersion?: string;
  /** Bridge and veth MTU; the plugin's default when absent. */
  mtu?: number;
}

export const DEFAULT_NETWORK_NAME = 'corral';
export const DEFAULT_BRIDGE = 'corral0';
export const DEFAULT_SUBNET = '10.89.0.0/16';

/** host-local's lease directory for `dataDir`. */
export function ipamDataDir(dataDir: string): string {
  return join(dataDir, 'cni', 'networks');
}

export function defaultNetworkConfig(o: DefaultNetworkOptions): NetworkConfigList {
  const name = o.name ?? DEFAULT_NETWORK_NAME;
  const bridge = o.bridge ?? DEFAULT_BRIDGE;
  const subnet = o.subnet ?? DEFAULT_SUBNET;
  if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(bridge))
    throw new CniConfigError(
      'bridge',
      `"${bridge}" is not a valid device name (1-15 letters, digits, "_", "." or "-")`,
    );
  const [addr, len, extra] = subnet.split('/');
  const family = isIP(addr ?? '');
  const bits = Number(len);
  if (!family || extra !== undefined || !/^\d+$/.test(len ?? '') || bits > (family === 4 ? 30 : 126))
    throw new CniConfigError(
      'subnet',
      `"${subnet}" is not a subnet in CIDR form with room for pods, e.g. 10.89.0.0/16`,
    );
  if (o.mtu !== undefined && (!Number.isInteger(o.mtu) || o.mtu < 576 || o.mtu > 65535))
    throw new CniConfigError('mtu', `${o.mtu} must be a whole number between 576 and 65535`);
  if (!o.dataDir)
    throw new CniConfigError('dataDir', "is required: Corral's data dir, for host-local's leases");
  const text = JSON.stringify({
    cniVersion: o.cniVersion ?? '1.0.0',
    name,
    plugins: [
      {
        type: 'bridge',
        bridge,
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet }]],
          routes: [{ dst: family === 4 ? '0.0.0.0/0' : '::/0' }],
          dataDir: ipamDataDir(o.dataDir),
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
      { type: 'bandwidth', capabilities: { bandwidth: true } },
    ],
  });
  // Validated like any file, so a bad name or version is reported the same way.
  const list = parseNetworkConfig(text, `default network "${name}"`);
  delete list.file;
  return list;
}

/** Write the default network as <confDir>/10-<name>.conflist unless a configuration already exists. */
export async function writeDefaultNetwork(
  confDir: string,
  o: DefaultNetworkOptions,
): Promise<{ path: string; written: boolean }> {
  const existing = await configFiles(confDir);
  if (existing[0] !== undefined) return { path: existing[0], written: false };
  const list = defaultNetworkConfig(o);
  await mkdir(confDir, { recursive: true });
  const path = join(confDir, `10-${list.name}.conflist`);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(list, null, 2)}\n`);
  await rename(tmp, path);
  return { path, written: true };
}
