// The names of the built-in busybox image (builtin.ts makes it), apart so that resolving a name
// does not load the image builder.
export const BUILTIN_NAME = 'corral.local/busybox:latest';
export const BUILTIN_ALIAS = 'docker.io/library/busybox:latest';
export const BUILTIN_ANNOTATION = 'io.corral.builtin.source';
