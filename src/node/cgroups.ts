// The kubelet's cgroup tree below Corral's cgroup root: kubepods/ (node allocatable), the QoS
// tiers kubepods/burstable (shares = Σ burstable CPU requests) and kubepods/besteffort (shares 2),
// pod<uid>/ (Guaranteed pods directly under kubepods), and each container's own cgroup below its
// pod, which the runtime creates from the container's linux.cgroupsPath.
import type { CgroupDriver, LinuxResources } from '../kernel/cgroup/types.js';

export class NodeCgroups {
  constructor(readonly driver: CgroupDriver) {}

  async ensureTop(burstableShares: number): Promise<void> {
    await this.driver.manager('kubepods').create({});
    await this.driver.manager('kubepods/burstable').create({ cpu: { shares: burstableShares } });
    await this.driver.manager('kubepods/besteffort').create({ cpu: { shares: 2 } });
  }

  async updateBurstable(shares: number): Promise<void> {
    await this.driver
      .manager('kubepods/burstable')
      .update({ cpu: { shares } })
      .catch(() => undefined);
  }

  async ensurePod(path: string, resources: LinuxResources): Promise<void> {
    await this.driver.manager(path).create(resources);
  }

  async removePod(path: string): Promise<void> {
    await this.driver.manager(path).remove();
  }

  async oomKills(path: string): Promise<number> {
    try {
      return (await this.driver.manager(path).stats()).memory.oomKills;
    } catch {
      return 0;
    }
  }

  /** Remove the tree when no pod is left (agent shutdown with its pods stopped). */
  async removeTop(): Promise<void> {
    for (const p of ['kubepods/burstable', 'kubepods/besteffort', 'kubepods'])
      await this.driver
        .manager(p)
        .remove()
        .catch(() => undefined);
  }
}
