// ServiceAccount tokens over HTTPS: TokenRequest issues a JWT with Kubernetes' claims; the token
// authenticates as the ServiceAccount (RBAC applies to it) until it expires, and is refused for a
// wrong audience, a deleted-and-recreated ServiceAccount or a deleted bound pod.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ensureSigningKey, signJwt } from '../../../src/api/auth/jwt.js';
import { DEFAULT_ISSUER } from '../../../src/api/auth/service-account-tokens.js';
import { rbac, roleBinding, startSecureApi, type SecureApi } from './support.js';

let api: SecureApi;

before(async () => {
  api = await startSecureApi();
  await api.admin.call('POST', '/api/v1/namespaces', { metadata: { name: 'dev' } });
  await api.admin.call('POST', '/api/v1/namespaces/dev/serviceaccounts', { metadata: { name: 'reader' } });
  await api.admin.call('POST', '/api/v1/namespaces/dev/pods', {
    metadata: { name: 'web' },
    spec: { containers: [{ name: 'c', image: 'busybox' }], serviceAccountName: 'reader' },
  });
  const rb = roleBinding('reader-view', 'dev', { kind: 'ClusterRole', name: 'view' }, [
    { kind: 'ServiceAccount', name: 'reader', namespace: 'dev' },
  ]);
  assert.equal(
    (await api.admin.call('POST', `/apis/${rbac}/v1/namespaces/dev/rolebindings`, rb)).status,
    201,
  );
});
after(() => api.stop());

const requestToken = (spec: Record<string, unknown> = {}, sa = 'reader') =>
  api.admin.call('POST', `/api/v1/namespaces/dev/serviceaccounts/${sa}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec,
  });

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

test('TokenRequest issues a bound JWT; it authenticates as the ServiceAccount under RBAC', async () => {
  const tr = await requestToken({ expirationSeconds: 1200 });
  assert.equal(tr.status, 201);
  assert.equal(tr.body.kind, 'TokenRequest');
  const token = tr.body.status.token as string;
  const c = claimsOf(token);
  const sa = (await api.admin.call('GET', '/api/v1/namespaces/dev/serviceaccounts/reader')).body;
  assert.equal(c.iss, DEFAULT_ISSUER);
  assert.equal(c.sub, 'system:serviceaccount:dev:reader');
  assert.deepEqual(c.aud, [DEFAULT_ISSUER]);
  assert.equal(c.exp - c.iat, 1200);
  assert.equal(c.nbf, c.iat);
  assert.deepEqual(c['kubernetes.io'], {
    namespace: 'dev',
    serviceaccount: { name: 'reader', uid: sa.metadata.uid },
  });
  assert.equal(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).alg, 'RS256');

  const reader = api.as({ token });
  const who = await reader.call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
  });
  assert.deepEqual(who.body.status.userInfo, {
    username: 'system:serviceaccount:dev:reader',
    uid: sa.metadata.uid,
    groups: ['system:serviceaccounts', 'system:serviceaccounts:dev', 'system:authenticated'],
  });
  assert.equal((await reader.call('GET', '/api/v1/namespaces/dev/pods')).status, 200);
  const exec = await reader.call('POST', '/api/v1/namespaces/dev/pods/web/exec?command=sh');
  assert.equal(exec.status, 403);
  assert.equal(
    exec.body.message,
    'pods "web" is forbidden: User "system:serviceaccount:dev:reader" cannot create resource "pods/exec" in API group "" in the namespace "dev"',
  );
  // Asking for a token is itself authorized (serviceaccounts/token, create).
  const self = await reader.call('POST', '/api/v1/namespaces/dev/serviceaccounts/reader/token', { spec: {} });
  assert.equal(self.status, 403);
  assert.match(self.body.message, /cannot create resource "serviceaccounts\/token"/);
});

test('TokenRequest validation: short expiry, unknown ServiceAccount, pod of another ServiceAccount', async () => {
  const short = await requestToken({ expirationSeconds: 60 });
  assert.equal(short.status, 422);
  assert.match(
    short.body.message,
    /spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes/,
  );
  const missing = await requestToken({}, 'ghost');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'serviceaccounts "ghost" not found');
  await api.admin.call('POST', '/api/v1/namespaces/dev/serviceaccounts', { metadata: { name: 'other' } });
  const wrong = await requestToken(
    { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web' } },
    'other',
  );
  assert.equal(wrong.status, 400);
  assert.match(
    wrong.body.message,
    /cannot bind token for serviceaccount "other" to pod running with different serviceaccount name/,
  );
});

test('expired, wrong-audience and forged tokens get 401', async () => {
  const key = await ensureSigningKey(api.dir);
  const now = Math.floor(Date.now() / 1000);
  const sa = (await api.admin.call('GET', '/api/v1/namespaces/dev/serviceaccounts/reader')).body;
  const claims = {
    iss: DEFAULT_ISSUER,
    sub: 'system:serviceaccount:dev:reader',
    aud: [DEFAULT_ISSUER],
    iat: now - 4000,
    nbf: now - 4000,
    exp: now - 400,
    'kubernetes.io': { namespace: 'dev', serviceaccount: { name: 'reader', uid: sa.metadata.uid } },
  };
  const expired = signJwt(claims, key);
  assert.equal((await api.as({ token: expired }).call('GET', '/api/v1/namespaces/dev/pods')).status, 401);
  const valid = signJwt({ ...claims, exp: now + 600 }, key);
  assert.equal((await api.as({ token: valid }).call('GET', '/api/v1/namespaces/dev/pods')).status, 200);
  const forged = `${valid.split('.').slice(0, 2).join('.')}.${Buffer.from('x'.repeat(256)).toString('base64url')}`;
  assert.equal((await api.as({ token: forged }).call('GET', '/api/v1/namespaces/dev/pods')).status, 401);
  const aud = (await requestToken({ audiences: ['https://vault.example'] })).body.status.token as string;
  const r = await api.as({ token: aud }).call('GET', '/api/v1/namespaces/dev/pods');
  assert.equal(r.status, 401);
  assert.equal(r.body.message, 'Unauthorized');
});

test('a token dies with its ServiceAccount (even if recreated) and with its bound pod', async () => {
  await api.admin.call('POST', '/api/v1/namespaces/dev/serviceaccounts', { metadata: { name: 'temp' } });
  const rb = roleBinding('temp-view', 'dev', { kind: 'ClusterRole', name: 'view' }, [
    { kind: 'ServiceAccount', name: 'temp', namespace: 'dev' },
  ]);
  await api.admin.call('POST', `/apis/${rbac}/v1/namespaces/dev/rolebindings`, rb);
  const token = (await requestToken({}, 'temp')).body.status.token as string;
  const temp = api.as({ token });
  assert.equal((await temp.call('GET', '/api/v1/namespaces/dev/pods')).status, 200);
  await api.admin.call('DELETE', '/api/v1/namespaces/dev/serviceaccounts/temp');
  assert.equal((await temp.call('GET', '/api/v1/namespaces/dev/pods')).status, 401);
  await api.admin.call('POST', '/api/v1/namespaces/dev/serviceaccounts', { metadata: { name: 'temp' } });
  assert.equal((await temp.call('GET', '/api/v1/namespaces/dev/pods')).status, 401);

  const pod = (await api.admin.call('GET', '/api/v1/namespaces/dev/pods/web')).body;
  const bound = await requestToken({
    boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: pod.metadata.uid },
  });
  assert.equal(bound.status, 201);
  const bt = bound.body.status.token as string;
  assert.deepEqual(claimsOf(bt)['kubernetes.io'].pod, { name: 'web', uid: pod.metadata.uid });
  assert.equal((await api.as({ token: bt }).call('GET', '/api/v1/namespaces/dev/pods')).status, 200);
  await api.admin.call('DELETE', '/api/v1/namespaces/dev/pods/web?gracePeriodSeconds=0');
  assert.equal((await api.as({ token: bt }).call('GET', '/api/v1/namespaces/dev/pods')).status, 401);
});
