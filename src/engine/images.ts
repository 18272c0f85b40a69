// What the engine needs from the image store (src/image): resolve a reference to an image record
// and give a container its own root filesystem. An interface, so tests can hand in a shim and the
// engine depends only on these two calls.
import type { ImageRecord } from '../image/types.js';

export type { ImageRecord, ImageRuntimeConfig } from '../image/types.js';

export interface PreparedRootfs {
  rootfs: string;
  release(): Promise<void>;
}

export interface ImageBackend {
  /** Throws an error with a one-line message when the image is unknown or the reference malformed. */
  resolve(ref: string): Promise<ImageRecord>;
  /** The container's root filesystem (`<dataDir>/containers/<id>/rootfs`), writable. */
  prepareRootfs(image: ImageRecord, containerId: string): Promise<PreparedRootfs>;
}

/** The store of src/image, loaded when first needed (`ps`, `logs`, `stop`... never load it). */
export function storeBackend(dataDir: string): ImageBackend {
  let opened: Promise<{
    mod: typeof import('../image/index.js');
    store: import('../image/index.js').ImageStore;
  }>;
  const open = () =>
    (opened ??= (async () => {
      const mod = await import('../image/index.js');
      // resolve() creates the built-in busybox image on first use, so no ensureBuiltins() here:
      // it would hash the host's busybox on every `corral run`.
      return { mod, store: new mod.ImageStore(dataDir) };
    })());
  return {
    async resolve(ref) {
      const { store } = await open();
      return store.resolve(ref);
    },
    async prepareRootfs(image, id) {
      const { mod, store } = await open();
      return mod.prepareRootfs(store, image, id);
    },
  };
}
