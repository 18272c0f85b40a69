// The ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount): a new pod runs as
// `default` unless it names a ServiceAccount, which must exist; its imagePullSecrets are copied
// when the pod has none; and unless automountServiceAccountToken is false (pod first, then the
// ServiceAccount) the pod gets the projected `kube-api-access-<5 chars>` volume (a 3607 s bound
// token, the cluster CA from kube-root-ca.crt and the namespace) mounted read-only at
// /var/run/secrets/kubernetes.io/serviceaccount in every container.
import { randomInt } from 'node:crypto';
import { ApiError, forbidden } from '../errors.js';
import { Store } from '../registry/store.js';
import { serviceaccounts } from '../resources/config.js';
import type { KObject } from '../resources/types.js';
import type { Storage } from '../storage/types.js';
import { admitAll, type Admission } from './types.js';

const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_VOLUME_PREFIX = 'kube-api-access-';
// utilrand.String's alphabet: no vowels (no words) and no easily confused characters.
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

interface Mount {
  name?: string;
  mountPath?: string;
  readOnly?: boolean;
}
interface Container {
  volumeMounts?: Mount[];
}
interface PodSpec {
  serviceAccountName?: string;
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  imagePullSecrets?: Array<{ name?: string }>;
  volumes?: Array<{ name?: string }>;
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
}

export function tokenVolume(name: string): Record<string, unknown> {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
    },
  };
}

const randomSuffix = () => Array.from({ length: 5 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');

export function serviceAccountAdmission(storage: Storage): Admission {
  const accounts = new Store(storage, serviceaccounts, admitAll);
  return async (a) => {
    if (a.operation !== 'CREATE' || a.subresource || a.def.group !== '' || a.def.plural !== 'pods' || !a.obj)
      return;
    const pod = a.obj;
    // Mirror pods (a kubelet's static pods) may not use ServiceAccounts.
    if (pod.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined) return;
    const spec = (pod.spec ??= {}) as PodSpec;
    const name = spec.serviceAccountName || spec.serviceAccount || 'default';
    spec.serviceAccountName = name;
    let sa: KObject | undefined;
    // A new namespace gets its `default` ServiceAccount from the namespace controller a moment
    // later; a pod created right after the namespace waits that moment instead of failing.
    for (let i = 0; !sa; i++) {
      try {
        sa = await accounts.get(a.namespace, name);
        break;
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
        if (name !== 'default' || i >= 30) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (!sa)
      throw forbidden(
        { group: '', plural: 'pods' },
        pod.metadata.name ?? a.name,
        `error looking up service account ${a.namespace}/${name}: serviceaccount "${name}" not found`,
      );
    const saPull = (sa.imagePullSecrets ?? []) as Array<{ name?: string }>;
    if (!spec.imagePullSecrets?.length && saPull.length)
      spec.imagePullSecrets = saPull.map((s) => ({ name: s.name }));
    const automount =
      spec.automountServiceAccountToken ?? (sa.automountServiceAccountToken as boolean | undefined) ?? true;
    if (!automount) return;
    const containers = [
      ...(spec.initContainers ?? []),
      ...(spec.containers ?? []),
      ...(spec.ephemeralContainers ?? []),
    ];
    // A pod that already mounts something at the token path keeps it (Kubernetes does the same).
    if (containers.some((c) => c.volumeMounts?.some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH)))
      return;
    const taken = new Set((spec.volumes ?? []).map((v) => v.name));
    let volume = `${TOKEN_VOLUME_PREFIX}${randomSuffix()}`;
    while (taken.has(volume)) volume = `${TOKEN_VOLUME_PREFIX}${randomSuffix()}`;
    spec.volumes = [...(spec.volumes ?? []), tokenVolume(volume)];
    for (const c of containers)
      c.volumeMounts = [
        ...(c.volumeMounts ?? []),
        { name: volume, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH },
      ];
  };
}
