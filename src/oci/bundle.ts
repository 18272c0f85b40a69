// Reading a bundle: <bundle>/config.json, validated (runtime-spec bundle.md).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { OciError, oneLine } from './errors.js';
import type { Spec } from './spec.js';
import { parseSpec } from './validate.js';
import { joinClean } from '../util/join-clean.js';

/** Read and validate <bundle>/config.json. */
export function loadBundle(bundle: string): Spec {
  const dir = resolve(bundle);
  let text: string;
  try {
    text = readFileSync(joinClean(dir, 'config.json'), 'utf8');
  } catch (e) {
    throw new OciError(
      `cannot read ${joinClean(dir, 'config.json')}: ${(e as NodeJS.ErrnoException).code ?? oneLine(e)}`,
    );
  }
  return parseSpec(text, joinClean(dir, 'config.json'));
}
