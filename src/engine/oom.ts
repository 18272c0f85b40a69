// Was the container OOM-killed? Its memory cgroup counts the kills (v2 memory.events oom_kill,
// v1 memory.oom_control oom_kill); read after the init exited and before the cgroup is removed.

/** Through the cgroup driver (loaded here when needed: ./finish.ts reads the file itself first). */
export async function oomKills(cgroupsPath: string, cgroupRoot?: string, helper?: string): Promise<number> {
  try {
    const { openCgroups } = await import('../kernel/cgroup/index.js');
    const driver = openCgroups({
      ...(cgroupRoot ? { root: cgroupRoot } : {}),
      ...(helper ? { helper } : {}),
    });
    const stats = await driver.manager(cgroupsPath).stats();
    return stats.memory.oomKills;
  } catch {
    return 0;
  }
}
