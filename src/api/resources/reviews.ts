// The review APIs: create-only kinds answered from the request (never stored). Until the RBAC
// authorizer exists everything is allowed, as with `--authorization-mode=AlwaysAllow`.
import { define } from './define.js';
import { obj, arr, map } from './schema.js';
import type { KObject, ResourceDef, UserInfo } from './types.js';

const ALLOW_REASON = 'no authorizer configured yet: every request is allowed';
const resourceAttributes = obj({
  namespace: 'string',
  verb: 'string',
  group: 'string',
  version: 'string',
  resource: 'string',
  subresource: 'string',
  name: 'string',
  fieldSelector: 'any',
  labelSelector: 'any',
});
const nonResourceAttributes = obj({ path: 'string', verb: 'string' });
const accessSpec = {
  resourceAttributes,
  nonResourceAttributes,
  user: 'string' as const,
  groups: arr('string'),
  extra: map(arr('string')),
  uid: 'string' as const,
};

const review = (
  kind: string,
  plural: string,
  namespaced: boolean,
  spec: Record<string, never> | object,
  answer: (o: KObject, u: UserInfo) => KObject,
): ResourceDef =>
  define({
    group: 'authorization.k8s.io',
    version: 'v1',
    kind,
    plural,
    namespaced,
    verbs: ['create'],
    schema: { spec: obj(spec as never), status: 'any' },
    virtual: answer,
  });

const allowed = (o: KObject): KObject => ({ ...o, status: { allowed: true, reason: ALLOW_REASON } });

export const selfsubjectaccessreviews = review(
  'SelfSubjectAccessReview',
  'selfsubjectaccessreviews',
  false,
  { resourceAttributes, nonResourceAttributes },
  allowed,
);
export const subjectaccessreviews = review(
  'SubjectAccessReview',
  'subjectaccessreviews',
  false,
  accessSpec,
  allowed,
);
export const localsubjectaccessreviews = review(
  'LocalSubjectAccessReview',
  'localsubjectaccessreviews',
  true,
  accessSpec,
  allowed,
);
export const selfsubjectrulesreviews = review(
  'SelfSubjectRulesReview',
  'selfsubjectrulesreviews',
  false,
  { namespace: 'string' },
  (o) => ({
    ...o,
    status: {
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      incomplete: false,
    },
  }),
);

export const selfsubjectreviews = define({
  group: 'authentication.k8s.io',
  version: 'v1',
  kind: 'SelfSubjectReview',
  plural: 'selfsubjectreviews',
  namespaced: false,
  verbs: ['create'],
  schema: { status: 'any' },
  virtual: (o, user) => ({
    ...o,
    status: {
      userInfo: { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups },
    },
  }),
});
