// corral-oci features: what this runtime supports (runtime-spec features.md JSON).
import type { Command } from 'commander';
import { printJson } from './context.js';

export function register(program: Command): void {
  program
    .command('features')
    .description('print the features of this runtime (JSON)')
    .action(async () => {
      const { features } = await import('../../oci/features.js');
      printJson(features());
    });
}
