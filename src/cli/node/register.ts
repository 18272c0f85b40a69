// `corral node`: the node agent (kubelet) in standalone mode and its client commands.
//   corral node --manifests DIR          run the pods of DIR (foreground; ^C leaves them running)
//   corral node --kubeconfig F [--server URL]  run the pods an API server binds to this node
//   corral node pods [-o json]           pod status from the running agent
//   corral node logs POD [CTR] [-f] [-p] [--timestamps] [--tail N]   a container's log
//   corral node exec POD [-c CTR] [-i] [-t] -- CMD...
import type { Command } from 'commander';
import { addAgentOptions } from '../agent-options.js';
import type { NetworkFlags } from '../network-flags.js';

async function act(fn: () => Promise<number | void>): Promise<void> {
  try {
    const code = await fn();
    if (typeof code === 'number') process.exitCode = code;
  } catch (e) {
    process.stderr.write(`corral: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}\n`);
    process.exitCode = 125;
  }
}

export function registerNodeCommands(program: Command, dataDir: () => string): void {
  const node = program
    .command('node')
    .description(
      'the node agent: run the Pods of a manifests directory (standalone kubelet) or of an API server',
    )
    .option('--manifests <dir>', 'directory of Pod/ConfigMap/Secret manifests (YAML)')
    .option('--kubeconfig <file>', 'join the API server of this kubeconfig instead of reading manifests')
    .option('--policy-kubeconfig <file>', 'credentials for the NetworkPolicy watch (default: --kubeconfig)')
    .option('--server <url>', "API server URL (overrides the kubeconfig's)")
    .option('--node-name <name>', 'the Node name and spec.nodeName for field references (default: hostname)');
  addAgentOptions(node, { cniDirs: true }).action(
    (
      o: NetworkFlags & {
        manifests?: string;
        kubeconfig?: string;
        policyKubeconfig?: string;
        server?: string;
        cgroupRoot?: string;
        nodeName?: string;
        backoffBase: string;
        networkPolicy: boolean;
        evictionHard?: string;
        seccompDefault?: string;
      },
    ) =>
      act(async () => {
        const { networkOptions } = await import('../network-flags.js');
        const { agentOptions } = await import('../agent-flags.js');
        const common = {
          dataDir: dataDir(),
          ...(o.cgroupRoot ? { cgroupRoot: o.cgroupRoot } : {}),
          ...(o.nodeName ? { nodeName: o.nodeName } : {}),
          backoffBaseMs: Number(o.backoffBase),
          ...networkOptions(o),
          networkPolicy: o.networkPolicy,
          ...agentOptions(o),
        };
        if (o.kubeconfig || o.server) {
          if (o.manifests)
            throw new Error('--manifests and --kubeconfig/--server exclude each other; pick one');
          if (!o.kubeconfig)
            throw new Error(
              '--server needs --kubeconfig FILE for the credentials; e.g. --kubeconfig DATA_DIR/kubeconfig',
            );
          const { runClusterAgent } = await import('./cluster.js');
          return runClusterAgent({
            ...common,
            kubeconfig: o.kubeconfig,
            ...(o.policyKubeconfig ? { policyKubeconfig: o.policyKubeconfig } : {}),
            ...(o.server ? { server: o.server } : {}),
          });
        }
        if (!o.manifests)
          throw new Error(
            '--manifests DIR or --kubeconfig FILE is required; e.g. corral node --manifests /etc/corral/manifests',
          );
        const { runAgent } = await import('./run.js');
        await runAgent({ ...common, manifestsDir: o.manifests });
      }),
  );
  node
    .command('pods')
    .description('list the pods of the running agent')
    .option('-o, --output <format>', 'json or table', 'table')
    .action((o: { output: string }) =>
      act(async () => {
        const { getText } = await import('./client.js');
        const r = await getText(dataDir(), '/pods');
        if (r.status !== 200) throw new Error(r.body.trim());
        if (o.output === 'json') return void process.stdout.write(r.body + '\n');
        const { printPods } = await import('./print.js');
        process.stdout.write(printPods(JSON.parse(r.body)));
      }),
    );
  node
    .command('logs')
    .description("print a container's log")
    .argument('<pod>')
    .argument('[container]')
    .option('-f, --follow', 'keep printing new output')
    .option('-p, --previous', 'the log of the previous, terminated instance of the container')
    .option('--timestamps', 'prefix each line with its time (RFC 3339)')
    .option('--tail <lines>', 'only the last N lines')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .action(
      (
        pod: string,
        ctr: string | undefined,
        o: { follow?: boolean; previous?: boolean; timestamps?: boolean; tail?: string; namespace: string },
      ) =>
        act(async () => {
          if (o.tail !== undefined && !/^\d+$/.test(o.tail))
            throw new Error(`--tail: "${o.tail}" is not a number of lines; e.g. --tail 20`);
          const { get } = await import('./client.js');
          const qs = new URLSearchParams({
            pod,
            namespace: o.namespace,
            container: ctr ?? '',
            follow: o.follow ? '1' : '0',
            ...(o.previous ? { previous: '1' } : {}),
            ...(o.timestamps ? { timestamps: '1' } : {}),
            ...(o.tail !== undefined ? { tailLines: o.tail } : {}),
          });
          const res = await get(dataDir(), `/logs?${qs}`);
          if (res.statusCode !== 200) {
            let b = '';
            for await (const c of res) b += c;
            throw new Error(b.trim());
          }
          for await (const c of res) process.stdout.write(c as Buffer);
        }),
    );
  node
    .command('exec')
    .description('run a command in a running container of a pod')
    .argument('<pod>')
    .argument('<cmd...>')
    .option('-c, --container <name>', 'container (default: the first)')
    .option('-i, --stdin', 'pass stdin')
    .option('-t, --tty', 'allocate a terminal (a pty of its own, sized like ours)')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .action(
      (
        pod: string,
        cmd: string[],
        o: { container?: string; stdin?: boolean; tty?: boolean; namespace: string },
      ) =>
        act(async () => {
          const { exec } = await import('./client.js');
          const qs = new URLSearchParams({
            pod,
            namespace: o.namespace,
            container: o.container ?? '',
            cmd: JSON.stringify(cmd),
          });
          if (!o.tty) return exec(dataDir(), `/exec?${qs}`, o.stdin ? process.stdin : undefined);
          const { callerTerminal } = await import('../tty.js');
          const term = callerTerminal(!!o.stdin);
          qs.set('tty', '1');
          qs.set('stdin', o.stdin ? '1' : '0');
          if (term.rows && term.cols) {
            qs.set('rows', String(term.rows));
            qs.set('cols', String(term.cols));
          }
          try {
            return await exec(dataDir(), `/exec?${qs}`, o.stdin ? process.stdin : undefined, term);
          } finally {
            term.restore();
          }
        }),
    );
}
