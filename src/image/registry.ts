// A client for the OCI distribution API (what Docker Hub, docker-registry and every other
// registry speak): manifests and blobs over HTTP(S), bearer-token and basic auth, retries with
// backoff. Plain http only for loopback registries, or when asked (`insecure`).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';

import { ImageError } from './errors.js';
import { isLoopbackHost, registryHost, type Reference } from './reference.js';
import { joinClean } from '../util/join-clean.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface RegistryOptions {
  /** Speak plain http to a non-loopback registry. */
  insecure?: boolean;
  username?: string;
  password?: string;
  /** A Docker-style config.json (`{"auths": {"host": {"auth": base64(user:pass)}}}`). */
  authFile?: string;
  /** Attempts per request on network errors, 429 and 5xx (default 4). */
  retries?: number;
  /** First backoff in ms, doubled each attempt (default 250). */
  backoffMs?: number;
}

export class HttpError extends ImageError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Credentials for `domain`: flags, then CORRAL_REGISTRY_USER/PASSWORD, then the auth file. */
export function findCredentials(domain: string, o: RegistryOptions): Credentials | undefined {
  if (o.username !== undefined) return { username: o.username, password: o.password ?? '' };
  const eu = process.env.CORRAL_REGISTRY_USER;
  if (eu) return { username: eu, password: process.env.CORRAL_REGISTRY_PASSWORD ?? '' };
  const files = o.authFile
    ? [o.authFile]
    : [
        process.env.CORRAL_AUTH_FILE,
        process.env.REGISTRY_AUTH_FILE,
        joinClean(homedir(), '.docker', 'config.json'),
      ].filter((f): f is string => !!f);
  for (const f of files) {
    let cfg: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
    try {
      cfg = JSON.parse(readFileSync(f, 'utf8'));
    } catch (e) {
      if (o.authFile) throw new ImageError(`auth file ${f}: ${(e as Error).message}`);
      continue;
    }
    const keys =
      domain === 'docker.io'
        ? ['docker.io', 'https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io']
        : [domain, `https://${domain}`, `http://${domain}`];
    for (const k of keys) {
      const a = cfg.auths?.[k];
      if (!a) continue;
      if (a.auth) {
        const dec = Buffer.from(a.auth, 'base64').toString('utf8');
        const i = dec.indexOf(':');
        return { username: dec.slice(0, i), password: dec.slice(i + 1) };
      }
      if (a.username) return { username: a.username, password: a.password ?? '' };
    }
  }
  return undefined;
}

/** `Bearer realm="…",service="…"` → { scheme, params } */
export function parseChallenge(h: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\S+)\s*(.*)$/.exec(h);
  const params: Record<string, string> = {};
  if (!m) return { scheme: '', params };
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  let p;
  while ((p = re.exec(m[2] ?? '')))
    params[(p[1] ?? '').toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  return { scheme: (m[1] ?? '').toLowerCase(), params };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class RegistryClient {
  readonly base: string;
  private auth: string | undefined;
  private readonly creds: Credentials | undefined;
  private readonly retries: number;
  private readonly backoff: number;

  constructor(
    readonly ref: Reference,
    o: RegistryOptions = {},
  ) {
    const host = registryHost(ref.domain);
    const plain = o.insecure || isLoopbackHost(ref.domain);
    this.base = `${plain ? 'http' : 'https'}://${host}`;
    this.creds = findCredentials(ref.domain, o);
    this.retries = Math.max(1, o.retries ?? 4);
    this.backoff = o.backoffMs ?? 250;
  }

  private where(): string {
    return `registry ${this.ref.domain}`;
  }

  /** One request with retries and the auth dance; the response of the final attempt. */
  async request(
    path: string,
    init: { headers?: Record<string, string>; method?: string } = {},
  ): Promise<Response> {
    const url = `${this.base}/v2/${this.ref.path}/${path}`;
    let authTried = false;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        const headers: Record<string, string> = { ...init.headers };
        if (this.auth) headers.authorization = this.auth;
        res = await fetch(url, { method: init.method ?? 'GET', headers, redirect: 'follow' });
      } catch (e) {
        if (attempt < this.retries) {
          await sleep(this.backoff * 2 ** (attempt - 1));
          continue;
        }
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        throw new ImageError(
          `cannot reach ${this.where()} at ${this.base}: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
        );
      }
      if (res.status === 401 && !authTried) {
        authTried = true;
        const challenge = res.headers.get('www-authenticate') ?? '';
        await res.body?.cancel();
        await this.authenticate(challenge);
        attempt--; // the auth round trip is not a failed attempt
        continue;
      }
      if ((res.status === 429 || res.status >= 500) && attempt < this.retries) {
        await res.body?.cancel();
        const ra = Number(res.headers.get('retry-after'));
        await sleep(ra > 0 && ra < 30 ? ra * 1000 : this.backoff * 2 ** (attempt - 1));
        continue;
      }
      return res;
    }
  }

  private async authenticate(challenge: string): Promise<void> {
    const { scheme, params } = parseChallenge(challenge);
    const need = `authentication required by ${this.where()}`;
    if (scheme === 'basic') {
      if (!this.creds)
        throw new ImageError(
          `${need}: pass --username/--password (or CORRAL_REGISTRY_USER/CORRAL_REGISTRY_PASSWORD, or an auth file)`,
        );
      this.auth = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}`;
      return;
    }
    if (scheme !== 'bearer' || !params.realm)
      throw new ImageError(`${need}, with an unsupported challenge "${challenge}"`);
    const u = new URL(params.realm);
    if (params.service) u.searchParams.set('service', params.service);
    u.searchParams.set('scope', params.scope ?? `repository:${this.ref.path}:pull`);
    const headers: Record<string, string> = {};
    if (this.creds)
      headers.authorization = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}`;
    let res: Response;
    try {
      res = await fetch(u, { headers });
    } catch (e) {
      throw new ImageError(
        `cannot reach the token service ${u.origin} of ${this.where()}: ${(e as Error).message}`,
      );
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new ImageError(
        `${need}: the token service refused${this.creds ? ' the credentials' : ' anonymous access'} (HTTP ${res.status})`,
      );
    }
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new ImageError(`${need}: the token service returned no token`);
    this.auth = `Bearer ${token}`;
  }

  /** Check a response, turning registry errors into one clear line. */
  async check(res: Response, what: string): Promise<Response> {
    if (res.ok) return res;
    let detail = '';
    try {
      const j = (await res.json()) as { errors?: { code?: string; message?: string }[] };
      detail = j.errors?.map((e) => e.message ?? e.code).join('; ') ?? '';
    } catch {
      /* not JSON */
    }
    if (res.status === 401 || res.status === 403)
      throw new HttpError(
        `${this.where()} denied access to ${what} (HTTP ${res.status})${this.creds ? ': check the credentials' : ': log in with --username/--password'}`,
        res.status,
      );
    if (res.status === 404)
      throw new HttpError(`${what} not found in ${this.where()}${detail ? `: ${detail}` : ''}`, 404);
    throw new HttpError(
      `${this.where()} answered HTTP ${res.status} for ${what}${detail ? `: ${detail}` : ''}`,
      res.status,
    );
  }
}
