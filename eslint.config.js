// Lint: typescript-eslint recommended rules, plus the layering rule from
// ../shared/design/architecture.md: imports go downward only
// (cli → api/node → network/image/oci → kernel).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layer = (dir, forbidden) => ({
  files: [`src/${dir}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: forbidden.map((f) => ({ group: [`**/${f}/*`, `**/${f}/**`], message: `src/${dir} must not import from the layer above (src/${f})` })) },
    ],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'dist-*/**', 'node_modules/**', 'native/**', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  layer('kernel', ['oci', 'image', 'network', 'node', 'engine', 'api', 'cli']),
  layer('oci', ['image', 'network', 'node', 'engine', 'api', 'cli']),
  layer('image', ['network', 'node', 'engine', 'api', 'cli']),
  layer('network', ['node', 'engine', 'api', 'cli']),
  layer('node', ['engine', 'api', 'cli']),
  layer('engine', ['node', 'api', 'cli']),
  layer('api', ['node', 'engine', 'cli']),
);
