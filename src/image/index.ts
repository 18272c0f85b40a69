// The image store's API, for `corral image …` and `corral run`.
import { prepareRootfsWith, type PrepareOptions, type PreparedRootfs } from './rootfs.js';
import type { ImageStore } from './store.js';
import type { ImageRecord } from './types.js';

export { ImageStore, type PruneResult } from './store.js';
export { ImageError } from './errors.js';
export type { ImageRecord, ImageConfig, ImageRuntimeConfig, Manifest, Descriptor } from './types.js';
export type { PullOptions, PullProgress } from './pull.js';
export type { PreparedRootfs, PrepareOptions, RootfsDriver, RootfsMount } from './rootfs.js';
export { parseReference, normalizeReference, familiarName, type Reference } from './reference.js';
export { BUILTIN_NAME, BUILTIN_ALIAS } from './builtin-names.js';

/**
 * The root filesystem of container `containerId` from `image`, at
 * `<dataDir>/containers/<id>/rootfs`: an overlayfs mount over the image's shared layers, or a copy
 * where overlayfs is unavailable (`opts.driver` or CORRAL_ROOTFS_DRIVER=copy forces it). With
 * `mountIn: 'container'` the overlay is returned as `mount` for the runtime to mount at `/` in the
 * container. `release()` unmounts and removes the container's rootfs, upper and work dirs.
 */
export async function prepareRootfs(
  store: ImageStore,
  image: ImageRecord,
  containerId: string,
  opts: PrepareOptions = {},
): Promise<PreparedRootfs> {
  return prepareRootfsWith(store, image, containerId, opts);
}
