// The node agent's command-line options, the same for `corral node` and `corral up` (parsed by
// network-flags.ts and agent-flags.ts, which load only when a command runs).
import type { Command } from 'commander';

export function addAgentOptions(cmd: Command, o: { cniDirs: boolean }): Command {
  cmd
    .option('--cgroup-root <path>', "Corral's cgroup root (env CORRAL_CGROUP_ROOT)")
    .option('--backoff-base <ms>', 'CrashLoopBackOff base delay in ms', '10000')
    .option('--network <mode>', 'pod networking: cni (a bridge network by default) or none (only lo)', 'cni')
    .option('--pod-cidr <cidr>', "the default network's pod subnet (default 10.89.0.0/16)")
    .option('--bridge <name>', "the default network's bridge (default corral0)");
  if (o.cniDirs)
    cmd
      .option('--cni-conf-dir <dir>', 'use the CNI network of this directory instead of the default one')
      .option(
        '--cni-bin-dir <dirs>',
        'CNI plugin directories, colon-separated (default /usr/lib/cni:/opt/cni/bin)',
      );
  return cmd
    .option(
      '--cni-netns <path>',
      "the node's network namespace for the bridge and NetworkPolicy (default: ours)",
    )
    .option('--no-network-policy', 'do not enforce NetworkPolicy')
    .option(
      '--eviction-hard <threshold>',
      'node-pressure eviction at memory.available<100Mi (default), <N% or none (off), as the kubelet',
    )
    .option(
      '--seccomp-default <bool>',
      'profile of containers whose pod names none: true = RuntimeDefault (default), false = Unconfined',
    );
}
