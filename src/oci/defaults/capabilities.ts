// The capability set a container gets by default: podman's (containers-common containers.conf
// `default_capabilities`, as installed in /usr/share/containers/containers.conf). Docker's set is
// the same plus AUDIT_WRITE, MKNOD, NET_RAW.
export const PODMAN_DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP',
  'CAP_SETGID',
  'CAP_SETPCAP',
  'CAP_SETUID',
  'CAP_SYS_CHROOT',
] as const;

export const DOCKER_DEFAULT_CAPS = [
  ...PODMAN_DEFAULT_CAPS,
  'CAP_AUDIT_WRITE',
  'CAP_MKNOD',
  'CAP_NET_RAW',
].sort();

export const DEFAULT_CAPS: readonly string[] = PODMAN_DEFAULT_CAPS;
