// Pod networking and NetworkPolicy, with the real CNI plugins and nftables, in network namespaces
// the bench creates and removes (needs root). Nothing asserts a timing.
//
//   npm run bench:net -- [--iterations 20] [--pods 100] [--policies 100]
//
// - CNI: ADD and DEL of one pod on Corral's default network (bridge + host-local + portmap with
//   one hostPort + bandwidth), p50/p99 over --iterations attach/detach cycles.
// - NetworkPolicy: with --pods pods and --policies policies, the time from update() of a policy
//   change to the change being in effect for a real TCP connection, the nft apply time, and how
//   the ruleset grows with 10/100/1000 policies.
import { benchCniAdd } from './net-cni.js';
import { benchPolicy } from './net-policy.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 2) {
    process.stderr.write(`bench:net: --${name} must be a whole number ≥ 2\n`);
    process.exit(2);
  }
  return v;
}

if (process.getuid?.() !== 0) {
  process.stderr.write('bench:net: needs root (it creates network namespaces and nftables tables)\n');
  process.exit(2);
}
const iterations = arg('iterations', 20);
const pods = arg('pods', 100);
const policies = arg('policies', 100);
const f = (n: number) => n.toFixed(1);

const cni = await benchCniAdd(iterations);
console.log(`CNI ADD (bridge + host-local + portmap + bandwidth), ${iterations} cycles:`);
console.log(`  ADD p50 ${f(cni.p50)} ms, p99 ${f(cni.p99)} ms; DEL p50 ${f(cni.delP50)} ms`);

const pol = await benchPolicy({ pods, policies });
console.log(`NetworkPolicy, ${pods} pods and ${policies} policies:`);
console.log(
  `  a policy change is in effect ${f(pol.effectMs)} ms after update() (nft apply ${f(pol.applyMs)} ms); ${pol.rules} rules, ${pol.setElements} set elements`,
);
console.log(`  ruleset growth with ${pods} pods:`);
for (const g of pol.growth)
  console.log(
    `  ${String(g.policies).padStart(6)} policies: ${String(g.rules).padStart(6)} rules, ${String(g.setElements).padStart(6)} set elements, compile ${f(g.compileMs)} ms`,
  );
