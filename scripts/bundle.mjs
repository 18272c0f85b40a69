// Bundles each CLI into dist/bundle/ with esbuild, so a command start loads one file (plus the
// chunks of what it lazily imports) instead of dozens of modules. The bin/ shims prefer a bundle.
//
// corral-oci is called once per container operation (podman runs it several times a container),
// so its start-up is most of its cost. It is one CommonJS file, corral-oci.cjs: bin/corral-oci.js
// compiles it with a V8 code cache (see there), which only a classic script can use on Node 20,
// and a lazily imported verb costs a function call instead of a module load.
import { existsSync, rmSync } from 'node:fs';
import process from 'node:process';
import { build } from 'esbuild';

const common = {
  outdir: 'dist/bundle',
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
};
const present = (entries) => Object.fromEntries(Object.entries(entries).filter(([, f]) => existsSync(f)));

// Code caches of the previous corral-oci.cjs (they are keyed by it too, this just drops them).
rmSync('dist/bundle/.v8-cache', { recursive: true, force: true });

await Promise.all([
  build({
    ...common,
    entryPoints: present({ corral: 'src/cli/main.ts', monitor: 'src/engine/monitor.ts' }),
    splitting: true,
    format: 'esm',
    // A native addon and a gRPC client: loaded from node_modules as they are.
    external: ['better-sqlite3', 'etcd3'],
    // CommonJS dependencies (commander) require() node built-ins; ESM output needs a real require.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  }),
  build({
    ...common,
    entryPoints: present({ 'corral-oci': 'src/cli/oci/main.ts' }),
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    // CommonJS has no import.meta; helper-path.ts finds native/ from the bundle's own URL (made
    // when asked: most calls do not).
    define: { 'import.meta.url': '__bundle_meta.url' },
    banner: {
      js: 'var __bundle_meta = { get url() { return require("node:url").pathToFileURL(__filename).href; } };',
    },
    // Less to read and hash at every start (names stay: stack traces remain legible).
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii', // bin/corral-oci.cjs reads it as latin1
  }),
]).catch(() => process.exit(1));
