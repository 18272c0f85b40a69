// Image references as Docker spells them: [registry[:port]/]path[:tag][@sha256:…], normalised
// the way Docker does it (`busybox` → `docker.io/library/busybox:latest`).
import { ImageError } from './errors.js';

export interface Reference {
  /** Registry host as written in names (`docker.io`, `127.0.0.1:5000`). */
  domain: string;
  /** Repository path (`library/busybox`). */
  path: string;
  tag?: string;
  digest?: string;
}

export const DEFAULT_DOMAIN = 'docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/;

function bad(ref: string, why: string): ImageError {
  return new ImageError(
    `invalid image reference "${ref}": ${why} (expected [registry/]name[:tag][@sha256:digest], e.g. busybox:latest)`,
  );
}

export function parseReference(ref: string): Reference {
  if (!ref) throw bad(ref, 'it is empty');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(ref, `"${digest}" is not a sha256 digest`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(ref, `"${tag}" is not a valid tag`);
  }
  const parts = rest.split('/');
  let domain = DEFAULT_DOMAIN;
  const first = parts[0] ?? '';
  if (
    parts.length > 1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))
  ) {
    if (!DOMAIN.test(first)) throw bad(ref, `"${first}" is not a valid registry host`);
    domain = parts.shift()!;
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  for (const c of parts) {
    if (!COMPONENT.test(c)) {
      const hint =
        c !== c.toLowerCase() ? 'repository names must be lowercase' : `"${c}" is not a valid name component`;
      throw bad(ref, hint);
    }
  }
  let path = parts.join('/');
  if (domain === DEFAULT_DOMAIN && parts.length === 1) path = `library/${path}`;
  if (path.length > 255) throw bad(ref, 'the name is longer than 255 characters');
  if (!tag && !digest) tag = 'latest';
  return { domain, path, tag, digest };
}

/** `docker.io/library/busybox:latest`, `host:5000/a/b@sha256:…` */
export function formatReference(r: Reference): string {
  return `${r.domain}/${r.path}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

export function normalizeReference(ref: string): string {
  return formatReference(parseReference(ref));
}

/** The short form people type (`busybox:latest`, `quay.io/x/y:1`). */
export function familiarName(full: string): string {
  return full.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}

/** The host to talk to for a domain: Docker Hub's API lives on another name than its images. */
export function registryHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? 'registry-1.docker.io' : domain;
}

/** Loopback registries may be spoken to over plain http (as Docker allows). */
export function isLoopbackHost(domain: string): boolean {
  const host = domain.startsWith('[')
    ? domain.slice(0, domain.indexOf(']') + 1)
    : domain.replace(/:\d+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}
