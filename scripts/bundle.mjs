// Bundles each CLI into dist/bundle/ with esbuild, so a command start loads one file instead of
// dozens of modules. The bin/ shims prefer a bundle.
//
// Both CLIs start once per container operation (`corral run --rm` is a whole container's life;
// podman runs corral-oci several times a container), so start-up is much of their cost. Each is
// CommonJS (corral.cjs, corral-oci.cjs) that its bin/ shim compiles with a V8 code cache (see
// there), which only a classic script can use on Node 20; a lazily imported module costs a
// function call instead of a module load. What reading and deserializing costs grows with the
// file, so the cluster side of `corral` (API server, node agent, kubeconfig, node client: more
// than half of the code) is in bundles of their own, required when their command runs.
// monitor.cjs is the waiter of `corral run -d`.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import process from 'node:process';
import { build } from 'esbuild';

// --outdir DIR: bundle elsewhere (a private build to measure); bin/ uses dist/bundle.
const at = process.argv.indexOf('--outdir');
const outdir = at > 0 ? process.argv[at + 1] : 'dist/bundle';

const common = {
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  // CommonJS has no import.meta; modules that look for files next to themselves (helper-path.ts,
  // the monitor) get the bundle's own URL (made when asked: most calls do not).
  define: { 'import.meta.url': '__bundle_meta.url' },
  banner: {
    js: 'var __bundle_meta = { get url() { return require("node:url").pathToFileURL(__filename).href; } };',
  },
  // Less to read at every start (the long-running bundles keep their names: their stack traces
  // stay legible in logs).
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii', // the bin/ shims read it as latin1
};
const present = (entries) => Object.fromEntries(Object.entries(entries).filter(([, f]) => existsSync(f)));

/** The cluster commands' modules (imported lazily by src/cli): bundles of their own. */
const cluster = present({
  'cli-server': 'src/cli/server.ts',
  'cli-up': 'src/cli/up.ts',
  'cli-kubeconfig': 'src/cli/kubeconfig.ts',
  'cli-node-run': 'src/cli/node/run.ts',
  'cli-node-cluster': 'src/cli/node/cluster.ts',
  'cli-node-client': 'src/cli/node/client.ts',
  'cli-node-print': 'src/cli/node/print.ts',
});
const clusterByPath = new Map(Object.entries(cluster).map(([name, f]) => [resolve(f), name]));

/**
 * `import('./server.js')` in corral.cjs becomes a require of cli-server.cjs next to it (through a
 * one-line module: esbuild would keep an external import(), which a vm.Script cannot run).
 */
const splitCluster = {
  name: 'split-cluster',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const name = clusterByPath.get(resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')));
      return name ? { path: name, namespace: 'cluster' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'cluster' }, (args) => ({
      contents: `module.exports = require(__dirname + ${JSON.stringify(`/${args.path}.cjs`)});`,
      loader: 'js',
    }));
  },
};

/**
 * node:child_process and node:net as getters that load them on first use: `corral run` calls
 * neither (its helpers start through the front, src/kernel/plan/spawner.ts), yet commander and
 * many of our modules import them, and with them Node's stream modules (tens of modules to
 * compile and memory to touch, ~5 ms a start here).
 */
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?(child_process|net)$/ }, (args) =>
      // The getters' own require is of the real module.
      args.namespace === 'lazy-builtin'
        ? { path: args.path, external: true }
        : { path: args.path.startsWith('node:') ? args.path : `node:${args.path}`, namespace: 'lazy-builtin' },
    );
    // The getters are on the exports object's prototype: esbuild's interop (__toESM, once per
    // importing module: 15 of them import child_process) copies own properties one by one, with
    // a closure each, and makes its copy with the same prototype, so it copies none and finds all.
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
      const names = Object.keys(await import(args.path)).filter((k) => k !== 'default');
      const getters = names.map((k) => `${JSON.stringify(k)}: { get: () => load()[${JSON.stringify(k)}] }`);
      return {
        loader: 'js',
        contents:
          `let m; const load = () => (m ??= require(${JSON.stringify(args.path)}));\n` +
          `module.exports = Object.create(Object.defineProperties({}, { ${getters.join(', ')} }));\n`,
      };
    });
  },
};

// Code caches of the previous bundles (they are keyed by them too, this just drops them); and the
// ES module chunks of older builds, which nothing loads any more.
rmSync(`${outdir}/.v8-cache`, { recursive: true, force: true });
for (const f of existsSync(outdir) ? readdirSync(outdir) : [])
  if (/\.js(\.map)?$/.test(f)) rmSync(`${outdir}/${f}`, { force: true });

/**
 * The two bundles the bin/ shims run are one function expression each, the wrapper node's
 * CommonJS loader would add: the shim compiles the file as it is read, instead of a copy of it
 * inside a wrapper (a string as long again, made and flattened at every start). So they are not
 * modules to require or run with node; the source map still fits (esbuild counts banner lines).
 */
const shimRun = {
  banner: { js: `(function (exports, require, module, __filename, __dirname) {${common.banner.js}` },
  footer: { js: '})' },
  // Short names: a quarter less source to read and make a string of at every start (corral.cjs
  // 286 KB instead of 372), and a smaller code cache (451 KB instead of 469). A crash's trace is
  // mapped back to the sources through the source map (src/cli/crash-stack.ts).
  minifyIdentifiers: true,
};

// A native addon and a gRPC client: loaded from node_modules as they are.
const external = ['better-sqlite3', 'etcd3'];
await Promise.all([
  build({
    ...common,
    ...shimRun,
    entryPoints: present({ corral: 'src/cli/main.ts' }),
    external,
    plugins: [splitCluster, lazyBuiltins],
  }),
  build({
    ...common,
    entryPoints: present({ monitor: 'src/engine/monitor.ts' }),
    external,
    plugins: [splitCluster],
  }),
  build({ ...common, entryPoints: cluster, external }),
  build({
    ...common,
    ...shimRun,
    entryPoints: present({ 'corral-oci': 'src/cli/oci/main.ts' }),
  }),
]).catch(() => process.exit(1));
