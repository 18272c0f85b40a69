// Bundles each CLI into dist/bundle/ with esbuild, so a command start loads one file (plus the
// chunks of what it lazily imports) instead of dozens of modules. The bin/ shims prefer a bundle.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { build } from 'esbuild';

const entries = { 'corral-oci': 'src/cli/oci/main.ts', corral: 'src/cli/main.ts', monitor: 'src/engine/monitor.ts' };

await build({
  entryPoints: Object.fromEntries(Object.entries(entries).filter(([, f]) => existsSync(f))),
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  // A native addon and a gRPC client: loaded from node_modules as they are.
  external: ['better-sqlite3', 'etcd3'],
  // CommonJS dependencies (commander) require() node built-ins; ESM output needs a real require.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
}).catch(() => process.exit(1));
