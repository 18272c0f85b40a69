// NetworkPolicy engine bench: how long a policy change takes to be in effect on real packets, and
// how the ruleset grows with the number of policies. Called by bench/net.bench.ts; alone:
//
//   node dist/bench/net-policy.js [--pods 100] [--policies 100]      (as root)
//
// In a private node namespace (test/network/policy/netns.ts) two real pods (client, server) sit
// among `pods - 2` fake ones (addresses that exist only in the ruleset) with `policies` synthetic
// policies. The server starts isolated by a default-deny policy; then one update() adds a policy
// allowing the client. applyMs: update() → nft transaction done (compile + nft -f, the engine's
// own measure); effectMs: update() → a fresh TCP connection from client to server succeeds
// (probes are started every 20 ms, each its own `busybox nc`, so this includes ~5-10 ms of spawn).
// Growth: rules and set elements of the compiled ruleset for 10/100/1000 policies.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { compilePolicy } from '../src/network/policy/compile.js';
import { PolicyEngine } from '../src/network/policy/engine.js';
import type { NetworkPolicy, PolicyState } from '../src/network/policy/types.js';
import { canRun, connect, TestNode } from '../test/network/policy/netns.js';
import { syntheticState } from '../test/network/policy/synthetic.js';

export interface PolicyGrowth {
  policies: number;
  rules: number;
  setElements: number;
  compileMs: number;
}

export interface PolicyBenchResult {
  applyMs: number;
  effectMs: number;
  rules: number;
  setElements: number;
  growth: PolicyGrowth[];
}

const TABLE = 'corral-bench';
const PORT = 8080;
const EFFECT_TIMEOUT_MS = 5000;

/** Rules and set elements of the compiled ruleset for each policy count, with `pods` pods. */
export function policyGrowth(pods: number, counts = [10, 100, 1000]): PolicyGrowth[] {
  return counts.map((policies) => {
    const t0 = performance.now();
    const c = compilePolicy(syntheticState(pods, policies), { table: TABLE });
    return { policies, rules: c.rules, setElements: c.setElements, compileMs: performance.now() - t0 };
  });
}

function benchState(pods: number, policies: number, allow: boolean): PolicyState {
  const st = syntheticState(Math.max(0, pods - 2), policies);
  st.namespaces.push({ name: 'bench', labels: {} });
  st.pods.push(
    { namespace: 'bench', name: 'server', labels: { app: 'server' }, ips: ['10.77.0.11'], ports: [] },
    { namespace: 'bench', name: 'client', labels: { role: 'bench-client' }, ips: ['10.77.0.12'], ports: [] },
  );
  const np = (name: string, spec: NetworkPolicy['spec']): NetworkPolicy => ({
    metadata: { name, namespace: 'bench' },
    spec,
  });
  st.policies.push(np('deny', { podSelector: {} }));
  if (allow)
    st.policies.push(
      np('allow-client', {
        podSelector: { matchLabels: { app: 'server' } },
        ingress: [
          { from: [{ podSelector: { matchLabels: { role: 'bench-client' } } }], ports: [{ port: PORT }] },
        ],
      }),
    );
  return st;
}

/** Time from update() until the first new connection from `from` to ip:port gets an answer. */
async function timeToConnect(from: string, ip: string, t0: number): Promise<number> {
  const probes: Promise<unknown>[] = [];
  let hit = NaN;
  while (Number.isNaN(hit) && performance.now() - t0 < EFFECT_TIMEOUT_MS) {
    probes.push(
      connect(from, ip, PORT).then((out) => {
        if (out === 'server' && Number.isNaN(hit)) hit = performance.now() - t0;
      }),
    );
    await new Promise((r) => setTimeout(r, 20));
  }
  // Probes sent while the packets were still dropped end at their own 1 s timeout.
  await Promise.all(probes);
  return hit;
}

export async function benchPolicy(opts: { pods: number; policies: number }): Promise<PolicyBenchResult> {
  if (!canRun) throw new Error('benchPolicy needs root, /bin/busybox and nft');
  const node = new TestNode('npb');
  let engine: PolicyEngine | undefined;
  try {
    node.create();
    const server = node.addPod('server', 11, [PORT]);
    const client = node.addPod('client', 12, []);
    await node.ready();
    engine = new PolicyEngine({ table: TABLE, netns: node.path, debounceMs: 0 });
    engine.update(benchState(opts.pods, opts.policies, false));
    await engine.flush();
    if ((await connect(client.netns, server.ip4, PORT)) !== '')
      throw new Error('the server was reachable under default-deny: the ruleset does not apply');

    const t0 = performance.now();
    engine.update(benchState(opts.pods, opts.policies, true));
    const [effectMs] = await Promise.all([timeToConnect(client.netns, server.ip4, t0), engine.flush()]);
    if (Number.isNaN(effectMs))
      throw new Error(`the allowing policy was not in effect after ${EFFECT_TIMEOUT_MS} ms`);
    const c = compilePolicy(benchState(opts.pods, opts.policies, true), { table: TABLE });
    return {
      applyMs: engine.stats.lastApplyMs,
      effectMs,
      rules: c.rules,
      setElements: c.setElements,
      growth: policyGrowth(opts.pods),
    };
  } finally {
    await engine?.stop().catch(() => undefined);
    await node.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string, dflt: number) => {
    const i = process.argv.indexOf(`--${name}`);
    const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
    if (!Number.isInteger(v) || v < 2) {
      process.stderr.write(`net-policy: --${name} must be an integer >= 2\n`);
      process.exit(2);
    }
    return v;
  };
  const r = await benchPolicy({ pods: arg('pods', 100), policies: arg('policies', 100) });
  const f = (n: number) => n.toFixed(1);
  console.log(
    `apply ${f(r.applyMs)} ms, in effect after ${f(r.effectMs)} ms; ${r.rules} rules, ${r.setElements} set elements`,
  );
  for (const g of r.growth)
    console.log(
      `  ${String(g.policies).padStart(5)} policies: ${String(g.rules).padStart(6)} rules, ${String(g.setElements).padStart(6)} set elements, compile ${f(g.compileMs)} ms`,
    );
}
