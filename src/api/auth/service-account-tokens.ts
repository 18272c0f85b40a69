// ServiceAccount tokens: the TokenRequest API (`serviceaccounts/token`) issues audience- and
// expiry-bound JWTs with Kubernetes' claims, optionally bound to a Pod or Secret; the
// authenticator accepts them only while the ServiceAccount (and the bound object) still exist
// with the uid the token names, as kube-apiserver's legacy-free validator does.
import { randomUUID } from 'node:crypto';
import { ApiError, badRequest, conflict, invalid, notFound, type FieldError } from '../errors.js';
import { timestamp } from '../registry/object.js';
import type { Store } from '../registry/store.js';
import { secrets, serviceaccounts } from '../resources/config.js';
import { pods } from '../resources/pods.js';
import type { KObject, ResourceDef, UserInfo } from '../resources/types.js';
import { peekJwt, signJwt, verifyJwt, type SigningKey } from './jwt.js';
import { nodeNameOf } from './node-authorizer.js';
import { restrictNodeTokenRequest } from './node-restriction.js';
import { serviceAccountUsername } from './rbac/resolver.js';

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const MIN_SECONDS = 600;
const MAX_SECONDS = 2 ** 32;

export const serviceAccountGroups = (ns: string) => [
  'system:serviceaccounts',
  `system:serviceaccounts:${ns}`,
  'system:authenticated',
];

interface BoundRef {
  kind?: string;
  apiVersion?: string;
  name?: string;
  uid?: string;
}
interface Claims {
  iss?: string;
  sub?: string;
  aud?: string[] | string;
  exp?: number;
  iat?: number;
  nbf?: number;
  'kubernetes.io'?: {
    namespace?: string;
    serviceaccount?: { name?: string; uid?: string };
    pod?: { name?: string; uid?: string };
    secret?: { name?: string; uid?: string };
  };
}

export interface TokenOptions {
  key: SigningKey;
  issuer?: string;
  /** What the API server accepts in `aud`; the default audience of issued tokens (default: [issuer]). */
  audiences?: string[];
  now?: () => number;
}

export class ServiceAccountTokens {
  readonly issuer: string;
  readonly audiences: string[];
  private readonly now: () => number;

  constructor(
    private readonly stores: Map<ResourceDef, Store>,
    private readonly o: TokenOptions,
  ) {
    this.issuer = o.issuer ?? DEFAULT_ISSUER;
    this.audiences = o.audiences ?? [this.issuer];
    this.now = o.now ?? (() => Date.now());
  }

  private async lookup(def: ResourceDef, ns: string, name: string): Promise<KObject | undefined> {
    try {
      return await this.stores.get(def)!.get(ns, name);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return undefined;
      throw e;
    }
  }

  /**
   * Answers a TokenRequest for ns/name: the request object with status.token filled in. `user`,
   * the requester, is checked by NodeRestriction when it is a node.
   */
  async request(ns: string, name: string, tr: KObject, user?: UserInfo): Promise<KObject> {
    const spec = (tr.spec ?? {}) as {
      audiences?: string[];
      expirationSeconds?: number;
      boundObjectRef?: BoundRef;
    };
    const errs: FieldError[] = [];
    const seconds = spec.expirationSeconds ?? 3600;
    if (!Number.isInteger(seconds) || seconds < MIN_SECONDS)
      errs.push({
        type: 'FieldValueInvalid',
        field: 'spec.expirationSeconds',
        value: seconds,
        detail: 'may not specify a duration less than 10 minutes',
      });
    else if (seconds > MAX_SECONDS)
      errs.push({
        type: 'FieldValueInvalid',
        field: 'spec.expirationSeconds',
        value: seconds,
        detail: 'may not specify a duration larger than 2^32 seconds',
      });
    const ref = spec.boundObjectRef;
    if (ref && !['Pod', 'Secret'].includes(ref.kind ?? ''))
      errs.push({
        type: 'FieldValueNotSupported',
        field: 'spec.boundObjectRef.kind',
        value: ref.kind ?? '',
        detail: 'supported values: "Pod", "Secret"',
      });
    if (ref && !ref.name)
      errs.push({ type: 'FieldValueRequired', field: 'spec.boundObjectRef.name', detail: '' });
    if (errs.length) throw invalid('TokenRequest', 'authentication.k8s.io', name, errs);
    if (user && nodeNameOf(user))
      restrictNodeTokenRequest(
        user,
        name,
        ref,
        ref?.kind === 'Pod' && ref.name ? await this.lookup(pods, ns, ref.name) : undefined,
      );

    const sa = await this.lookup(serviceaccounts, ns, name);
    if (!sa) throw notFound({ group: '', plural: 'serviceaccounts' }, name);
    const k8s: NonNullable<Claims['kubernetes.io']> = {
      namespace: ns,
      serviceaccount: { name, uid: sa.metadata.uid },
    };
    if (ref) {
      const def = ref.kind === 'Pod' ? pods : secrets;
      const obj = await this.lookup(def, ns, ref.name!);
      if (!obj) throw notFound({ group: '', plural: def.plural }, ref.name!);
      if (ref.uid && ref.uid !== obj.metadata.uid)
        throw conflict(
          { group: '', plural: ref.kind! },
          ref.name!,
          `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
        );
      if (ref.kind === 'Pod') {
        const podSA =
          (obj.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName || 'default';
        if (podSA !== name)
          throw badRequest(
            `cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`,
          );
        k8s.pod = { name: ref.name, uid: obj.metadata.uid };
      } else k8s.secret = { name: ref.name, uid: obj.metadata.uid };
    }
    const audiences = spec.audiences?.length ? spec.audiences : this.audiences;
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + seconds;
    const token = signJwt(
      {
        aud: audiences,
        exp,
        iat,
        iss: this.issuer,
        jti: randomUUID(),
        'kubernetes.io': k8s,
        nbf: iat,
        sub: serviceAccountUsername(ns, name),
      },
      this.o.key,
    );
    return {
      ...tr,
      metadata: { ...tr.metadata, name, namespace: ns, creationTimestamp: timestamp(new Date(this.now())) },
      spec: { ...spec, audiences, expirationSeconds: seconds, ...(ref ? { boundObjectRef: ref } : {}) },
      status: { token, expirationTimestamp: timestamp(new Date(exp * 1000)) },
    };
  }

  /**
   * The user a bearer token stands for; undefined when the token is not one of ours (another
   * issuer or not a JWT); throws 401 when it is ours but not (or no longer) valid.
   */
  async authenticate(token: string): Promise<UserInfo | undefined> {
    const claims = peekJwt(token) as Claims | undefined;
    if (!claims || claims.iss !== this.issuer) return undefined;
    const fail = () => new ApiError(401, 'Unauthorized', 'Unauthorized');
    if (!verifyJwt(token, this.o.key)) throw fail();
    const now = Math.floor(this.now() / 1000);
    const aud = Array.isArray(claims.aud) ? claims.aud : claims.aud ? [claims.aud] : [];
    if (!aud.some((a) => this.audiences.includes(a))) throw fail();
    if (typeof claims.exp !== 'number' || claims.exp <= now) throw fail();
    if (typeof claims.nbf === 'number' && claims.nbf > now + 60) throw fail();
    const k8s = claims['kubernetes.io'];
    const ns = k8s?.namespace ?? '';
    const saName = k8s?.serviceaccount?.name ?? '';
    if (!ns || !saName || claims.sub !== serviceAccountUsername(ns, saName)) throw fail();
    // A token dies with the objects it names: a recreated object has a new uid.
    const alive = async (def: ResourceDef, ref: { name?: string; uid?: string } | undefined) => {
      if (!ref) return true;
      const o = await this.lookup(def, ns, ref.name ?? '');
      return !!o && o.metadata.uid === ref.uid && !o.metadata.deletionTimestamp;
    };
    if (!(await alive(serviceaccounts, k8s?.serviceaccount))) throw fail();
    if (!(await alive(pods, k8s?.pod)) || !(await alive(secrets, k8s?.secret))) throw fail();
    return {
      username: serviceAccountUsername(ns, saName),
      ...(k8s?.serviceaccount?.uid ? { uid: k8s.serviceaccount.uid } : {}),
      groups: serviceAccountGroups(ns),
    };
  }
}
