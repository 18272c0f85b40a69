// The review APIs: create-only kinds answered from the request (never stored) by the server's
// authorizer (RBAC, or AlwaysAllow in the plain-HTTP test mode). SelfSubjectRulesReview lists the
// caller's rules through the rulesFor hook the HTTP layer passes along with the review context.
import { define } from './define.js';
import { obj, arr, map } from './schema.js';
import type { KObject, ResourceDef, ReviewContext } from './types.js';

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
  answer: (o: KObject, ctx: ReviewContext) => KObject | Promise<KObject>,
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

type Attrs = {
  namespace?: string;
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  name?: string;
};

/** Answers an access review with the server's authorizer, for the caller or the named subject. */
async function answerReview(o: KObject, ctx: ReviewContext, self: boolean): Promise<KObject> {
  const spec = (o.spec ?? {}) as {
    resourceAttributes?: Attrs;
    nonResourceAttributes?: { path?: string; verb?: string };
    user?: string;
    groups?: string[];
    uid?: string;
  };
  const user = self
    ? ctx.user
    : { username: spec.user ?? '', groups: spec.groups ?? [], ...(spec.uid ? { uid: spec.uid } : {}) };
  const ra = spec.resourceAttributes;
  const nra = spec.nonResourceAttributes;
  const d = await ctx.authorize(
    ra
      ? {
          user,
          verb: ra.verb ?? '',
          namespace: ra.namespace ?? (self ? '' : (o.metadata.namespace ?? '')),
          apiGroup: ra.group ?? '',
          resource: ra.resource ?? '',
          subresource: ra.subresource ?? '',
          name: ra.name ?? '',
        }
      : {
          user,
          verb: nra?.verb ?? '',
          namespace: '',
          apiGroup: '',
          resource: '',
          subresource: '',
          name: '',
          path: nra?.path ?? '',
        },
  );
  return { ...o, status: { allowed: d.allowed, ...(d.reason ? { reason: d.reason } : {}) } };
}

export const selfsubjectaccessreviews = review(
  'SelfSubjectAccessReview',
  'selfsubjectaccessreviews',
  false,
  { resourceAttributes, nonResourceAttributes },
  (o, c) => answerReview(o, c, true),
);
export const subjectaccessreviews = review(
  'SubjectAccessReview',
  'subjectaccessreviews',
  false,
  accessSpec,
  (o, c) => answerReview(o, c, false),
);
export const localsubjectaccessreviews = review(
  'LocalSubjectAccessReview',
  'localsubjectaccessreviews',
  true,
  accessSpec,
  (o, c) => answerReview(o, c, false),
);
export const selfsubjectrulesreviews = review(
  'SelfSubjectRulesReview',
  'selfsubjectrulesreviews',
  false,
  { namespace: 'string' },
  async (o, ctx) => {
    const rulesFor = (ctx as RulesContext).rulesFor;
    const ns = ((o.spec ?? {}) as { namespace?: string }).namespace ?? '';
    const status = rulesFor
      ? await rulesFor(ctx.user, ns)
      : { resourceRules: [], nonResourceRules: [], incomplete: true, evaluationError: 'no rules resolver' };
    return { ...o, status };
  },
);

/** The review context as the HTTP layer builds it, with the rules of a user in a namespace. */
interface RulesContext extends ReviewContext {
  rulesFor?: (user: ReviewContext['user'], namespace: string) => Promise<Record<string, unknown>>;
}

export const selfsubjectreviews = define({
  group: 'authentication.k8s.io',
  version: 'v1',
  kind: 'SelfSubjectReview',
  plural: 'selfsubjectreviews',
  namespaced: false,
  verbs: ['create'],
  schema: { status: 'any' },
  virtual: (o, { user }) => ({
    ...o,
    status: {
      userInfo: { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups },
    },
  }),
});
