// The image layer resolves user names against the rootfs (src/image/user.ts); for `corral run`
// its error is a usage error (exit 125) like any other bad flag.
import { resolveUser as resolveInRootfs, UserSpecError, type ResolvedUser } from '../image/user.js';
import { EngineError } from './errors.js';

export type { ResolvedUser };
export { parseGroup, parsePasswd } from '../image/user.js';

export function resolveUser(rootfs: string, spec: string, what = '-u'): ResolvedUser {
  try {
    return resolveInRootfs(rootfs, spec, what);
  } catch (e) {
    if (e instanceof UserSpecError) throw new EngineError(e.message);
    throw e;
  }
}
