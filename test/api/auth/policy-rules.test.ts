// RBAC rule matching and covering, table-driven against Kubernetes' semantics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compactString,
  ruleAllows,
  uncovered,
  type PolicyRule,
} from '../../../src/api/auth/rbac/policy-rules.js';
import type { AuthzAttributes } from '../../../src/api/auth/types.js';

const user = { username: 'u', groups: [] };
const req = (
  verb: string,
  resource: string,
  subresource = '',
  name = '',
  apiGroup = '',
): AuthzAttributes => ({
  user,
  verb,
  namespace: 'ns',
  apiGroup,
  resource,
  subresource,
  name,
});

test('ruleAllows: verbs, groups, subresources, */sub, resourceNames, nonResourceURLs', () => {
  const cases: Array<[PolicyRule, AuthzAttributes, boolean]> = [
    [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, req('get', 'pods'), true],
    [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, req('list', 'pods'), false],
    [{ verbs: ['*'], apiGroups: [''], resources: ['pods'] }, req('delete', 'pods'), true],
    [{ verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] }, req('get', 'pods'), false],
    [{ verbs: ['get'], apiGroups: ['*'], resources: ['pods'] }, req('get', 'pods', '', '', 'x.io'), true],
    [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, req('get', 'pods', 'log'), false],
    [{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, req('get', 'pods', 'log'), true],
    [{ verbs: ['get'], apiGroups: [''], resources: ['*/log'] }, req('get', 'pods', 'log'), true],
    [{ verbs: ['get'], apiGroups: [''], resources: ['*/scale'] }, req('get', 'pods', 'log'), false],
    [{ verbs: ['get'], apiGroups: [''], resources: ['*'] }, req('get', 'pods', 'exec'), true],
    [
      { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] },
      req('get', 'pods', '', 'a'),
      true,
    ],
    [
      { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] },
      req('get', 'pods', '', 'b'),
      false,
    ],
    [
      { verbs: ['list'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] },
      req('list', 'pods'),
      false,
    ],
    [{ verbs: ['get'], nonResourceURLs: ['/healthz/*'] }, { ...req('get', ''), path: '/healthz/etcd' }, true],
    [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }, { ...req('get', ''), path: '/healthz/etcd' }, false],
    [{ verbs: ['get'], nonResourceURLs: ['*'] }, { ...req('get', ''), path: '/anything' }, true],
    [{ verbs: ['get'], apiGroups: ['*'], resources: ['*'] }, { ...req('get', ''), path: '/api' }, false],
  ];
  cases.forEach(([rule, a, want], i) => assert.equal(ruleAllows(a, rule), want, `case ${i}`));
});

test('uncovered: what a writer lacks to grant a rule set', () => {
  const owner: PolicyRule[] = [
    { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', '*/log'] },
    { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] },
    { verbs: ['get'], nonResourceURLs: ['/api/*'] },
  ];
  assert.deepEqual(
    uncovered(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['pods', 'pods/log'] }]),
    [],
  );
  assert.deepEqual(
    uncovered(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] }]),
    [],
  );
  assert.deepEqual(uncovered(owner, [{ verbs: ['get'], nonResourceURLs: ['/api/v1'] }]), []);
  const missing = uncovered(owner, [
    { verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] },
    { verbs: ['get'], apiGroups: [''], resources: ['secrets'] },
  ]);
  assert.deepEqual(missing.map(compactString), [
    '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}',
    '{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}',
  ]);
  assert.equal(
    uncovered(
      [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      [{ verbs: ['get'], nonResourceURLs: ['/x'] }],
    ).length,
    1,
  );
});
