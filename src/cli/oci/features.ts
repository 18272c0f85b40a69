// corral-oci features: what this runtime supports (runtime-spec features.md JSON).
import { printJson } from './context.js';

export async function run(): Promise<void> {
  const { features } = await import('../../oci/features.js');
  printJson(features());
}
