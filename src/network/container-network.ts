// One container's (or pod sandbox's) network through CNI, for the two callers that need it: the
// node agent's pod sandboxes and `corral run --network bridge`. It writes Corral's default bridge
// network on first use (unless a config dir is given), attaches eth0, detaches, and at start
// deletes attachments whose owner is gone, so a crash leaks no address.
//
// The network namespace is pinned by a bind mount under <dataDir>/netns (as CRI-O's pinns): CNI
// then gets a path that names this container's namespace for as long as the attachment exists. A
// /proc/PID/ns/net path could, after the process died and its PID was reused, name some other
// namespace, where DEL would remove that namespace's eth0.
import { execFile } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CniRuntime,
  podIPs,
  writeDefaultNetwork,
  type CapabilityArgs,
  type NetworkConfigList,
} from './cni/index.js';

export interface ContainerNetworkOptions {
  /** CNI configuration directory; default <dataDir>/cni/net.d (the default network is written there). */
  confDir?: string;
  /** Network name from confDir; default: the first list in lexical order. */
  network?: string;
  /** Plugin directories; default /usr/lib/cni, /opt/cni/bin. */
  binDirs?: string[];
  /** Subnet and bridge of the default network, when Corral writes it. */
  podCIDR?: string;
  bridge?: string;
  /** The host's network namespace (path) when it is not ours (tests use a private one). */
  hostNetns?: string;
}

const run = promisify(execFile);
const NSFS_MAGIC = 0x6e736673;

function isNamespaceMount(path: string): boolean {
  try {
    return statfsSync(path).type === NSFS_MAGIC;
  } catch {
    return false;
  }
}

export class ContainerNetwork {
  readonly cni: CniRuntime;
  private net?: Promise<NetworkConfigList>;
  private readonly pinDir: string;

  /**
   * `owner` separates the attachment caches of the callers sharing a data dir (the node agent,
   * `corral run`), so one's gc never deletes the other's; the address leases are shared.
   */
  constructor(
    private readonly dataDir: string,
    owner: string,
    private readonly o: ContainerNetworkOptions,
    private readonly log: (m: string) => void = () => undefined,
  ) {
    this.pinDir = join(dataDir, 'netns');
    this.cni = new CniRuntime({
      confDir: o.confDir ?? join(dataDir, 'cni', 'net.d'),
      cacheDir: join(dataDir, 'cni', `cache-${owner}`),
      ...(o.binDirs ? { binDirs: o.binDirs } : {}),
      ...(o.hostNetns ? { hostNetns: o.hostNetns } : {}),
    });
  }

  /** The network configuration (the default one written first when the dir has none). */
  network(): Promise<NetworkConfigList> {
    this.net ??= (async () => {
      if (!this.o.confDir)
        await writeDefaultNetwork(this.cni.confDir, {
          dataDir: this.dataDir,
          ...(this.o.podCIDR ? { subnet: this.o.podCIDR } : {}),
          ...(this.o.bridge ? { bridge: this.o.bridge } : {}),
        });
      return this.cni.loadNetwork(this.o.network);
    })();
    this.net.catch(() => (this.net = undefined));
    return this.net;
  }

  private pinPath(id: string): string {
    return join(this.pinDir, id);
  }

  private async pin(id: string, pid: number): Promise<string> {
    const path = this.pinPath(id);
    if (isNamespaceMount(path)) await this.unpin(id);
    mkdirSync(this.pinDir, { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'w', 0o600));
    await run('mount', ['--bind', `/proc/${pid}/ns/net`, path]);
    return path;
  }

  private async unpin(id: string): Promise<void> {
    const path = this.pinPath(id);
    if (isNamespaceMount(path)) await run('umount', [path]).catch(() => undefined);
    rmSync(path, { force: true });
  }

  /** ADD eth0 to the network namespace of process `pid`: returns the addresses (IPv4 first). */
  async setup(
    id: string,
    pid: number,
    extra: { args?: Record<string, string>; capabilityArgs?: CapabilityArgs } = {},
  ): Promise<string[]> {
    const net = await this.network();
    const netns = await this.pin(id, pid);
    try {
      const r = await this.cni.add(net, { containerId: id, netns, ifName: 'eth0', ...extra });
      return podIPs(r).sort((a, b) => Number(a.includes(':')) - Number(b.includes(':')));
    } catch (e) {
      await this.unpin(id);
      throw e;
    }
  }

  /** DEL (best effort by the plugins' rules; repeatable), then release the pinned namespace. */
  async teardown(id: string): Promise<void> {
    const netns = this.pinPath(id);
    await this.cni.del(await this.network(), {
      containerId: id,
      netns: isNamespaceMount(netns) ? netns : '',
      ifName: 'eth0',
    });
    await this.unpin(id);
  }

  /** Delete every attachment whose owner is not in `live`. */
  async gc(live: Iterable<string>): Promise<string[]> {
    const keep = new Set(live);
    const net = await this.network();
    // A pin that is no longer a namespace (after a reboot) must not reach the plugins as a netns.
    for (const a of await this.cni.cachedAttachments(net))
      if (!keep.has(a.containerId) && existsSync(a.netns) && !isNamespaceMount(a.netns))
        rmSync(a.netns, { force: true });
    const r = await this.cni.gc(
      net,
      [...keep].map((containerId) => ({ containerId, ifName: 'eth0' })),
    );
    for (const d of r.deleted) await this.unpin(d.split('/')[0]!);
    for (const f of r.failed) this.log(`network: DEL of ${f.containerId} failed: ${f.error}`);
    return r.deleted;
  }
}
