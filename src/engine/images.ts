// What the engine needs from the image store (src/image): resolve a reference to an image record
// and give a container its own root filesystem. An interface, so tests can hand in a shim and the
// engine depends only on these two calls.
import type { ImageRecord } from '../image/types.js';
import type { RootfsMount } from '../image/rootfs.js';
import type { RootReader } from '../image/user.js';

export type { ImageRecord, ImageRuntimeConfig } from '../image/types.js';

export interface PreparedRootfs {
  /** root.path of the container. */
  rootfs: string;
  /**
   * The overlay the runtime mounts onto `rootfs` in the container's own mount namespace (then
   * `rootfs` stays an empty directory here); undefined: `rootfs` already is the root filesystem.
   */
  mount?: RootfsMount;
  /** Reads a file of the root filesystem (e.g. etc/passwd) as the container will see it. */
  read: RootReader;
  /** Makes a directory of the container's root filesystem unless it exists (see src/image). */
  ensureDir(path: string): void;
  release(): Promise<void>;
}

export interface ImageBackend {
  /** Throws an error with a one-line message when the image is unknown or the reference malformed. */
  resolve(ref: string): Promise<ImageRecord>;
  /**
   * The container's root filesystem (`<dataDir>/containers/<id>/rootfs`), writable; `volatile`
   * when its writes go with it (`--rm`: see PrepareOptions in src/image/rootfs.ts).
   */
  prepareRootfs(
    image: ImageRecord,
    containerId: string,
    opts?: { volatile?: boolean },
  ): Promise<PreparedRootfs>;
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
    async prepareRootfs(image, id, opts) {
      const { mod, store } = await open();
      // The helper mounts the overlay in the container: no `mount` and `umount` processes per
      // run, nothing mounted on the host that a crash could leave behind.
      return mod.prepareRootfs(store, image, id, { mountIn: 'container', volatile: !!opts?.volatile });
    },
  };
}
