// The image layer resolves user names against the rootfs (src/image/user.ts); for `corral run`
// its error is a usage error (exit 125) like any other bad flag.
import {
  resolveUser as resolveInRootfs,
  UserSpecError,
  type ResolvedUser,
  type RootReader,
} from '../image/user.js';
import { EngineError } from './errors.js';

export type { ResolvedUser };
export { parseGroup, parsePasswd } from '../image/user.js';

/** `rootfs`: a directory, or a reader of the image's files (a rootfs not mounted here). */
export function resolveUser(rootfs: string | RootReader, spec: string, what = '-u'): ResolvedUser {
  try {
    return resolveInRootfs(rootfs, spec, what);
  } catch (e) {
    if (e instanceof UserSpecError) throw new EngineError(e.message);
    throw e;
  }
}
