// PodSecurity over real HTTP: namespace labels select the level; enforce refuses with the list
// of violations, warn returns warnings, privileged and baseline let plain pods through.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { podWith, startAdmissionApi } from './support.js';

const ENFORCE = 'pod-security.kubernetes.io/enforce';

test('a restricted namespace refuses a privileged pod with every violation listed', async (t) => {
  const api = await startAdmissionApi();
  t.after(() => api.stop());
  await api.namespace('locked', { [ENFORCE]: 'restricted' });
  const bad = podWith(
    'x',
    {
      securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN'] } },
      ports: [{ containerPort: 80, hostPort: 8080 }],
    },
    { hostNetwork: true, volumes: [{ name: 'root', hostPath: { path: '/' } }] },
  );
  const r = await api.call('POST', '/api/v1/namespaces/locked/pods', bad);
  assert.equal(r.status, 403);
  assert.equal(r.body.reason, 'Forbidden');
  assert.equal(
    r.body.message,
    'pods "x" is forbidden: violates PodSecurity "restricted:latest": host namespaces (hostNetwork=true), ' +
      'hostPath volumes (volume "root"), hostPort (container "c" uses hostPort 8080), ' +
      'privileged (container "c" must not set securityContext.privileged=true), ' +
      'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
      'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]; container "c" must not include "SYS_ADMIN" in securityContext.capabilities.add), ' +
      'restricted volume types (volume "root" uses restricted volume type "hostPath"), ' +
      'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
      'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  );
  // The plain pod from the Kubernetes docs' example fails restricted with exactly these four.
  const plain = await api.call('POST', '/api/v1/namespaces/locked/pods', podWith('plain'));
  assert.equal(
    plain.body.message,
    'pods "plain" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  );
  const compliant = podWith(
    'good',
    {
      securityContext: {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
      },
    },
    { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } },
  );
  const ok = await api.call('POST', '/api/v1/namespaces/locked/pods', compliant);
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
});

test('baseline allows a plain pod and refuses privileged ones; unlabelled namespaces are privileged', async (t) => {
  const api = await startAdmissionApi();
  t.after(() => api.stop());
  await api.namespace('base', { [ENFORCE]: 'baseline', [`${ENFORCE}-version`]: 'latest' });
  assert.equal((await api.call('POST', '/api/v1/namespaces/base/pods', podWith('plain'))).status, 201);
  const priv = await api.call(
    'POST',
    '/api/v1/namespaces/base/pods',
    podWith(
      'priv',
      { securityContext: { privileged: true, capabilities: { add: ['NET_ADMIN', 'CHOWN'] } } },
      {
        securityContext: {
          seccompProfile: { type: 'Unconfined' },
          sysctls: [{ name: 'kernel.msgmax', value: '1' }],
        },
      },
    ),
  );
  assert.equal(priv.status, 403);
  assert.equal(
    priv.body.message,
    'pods "priv" is forbidden: violates PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true), ' +
      'forbidden sysctls (kernel.msgmax), non-default capabilities (container "c" must not include "NET_ADMIN" in securityContext.capabilities.add), ' +
      'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")',
  );
  await api.namespace('open');
  assert.equal(
    (
      await api.call(
        'POST',
        '/api/v1/namespaces/open/pods',
        podWith('priv', { securityContext: { privileged: true } }),
      )
    ).status,
    201,
  );
});

test('warn mode admits the pod and returns the violations as warnings', async (t) => {
  const api = await startAdmissionApi();
  t.after(() => api.stop());
  await api.namespace('watched', { [ENFORCE]: 'baseline', 'pod-security.kubernetes.io/warn': 'restricted' });
  const r = await api.call('POST', '/api/v1/namespaces/watched/pods', podWith('plain'));
  assert.equal(r.status, 201);
  // Sent as kube-apiserver does: a `Warning: 299 - "..."` header, which kubectl prints.
  assert.deepEqual(
    r.headers.get('warning'),
    [
      'would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    ]
      .map((w) => `299 - ${JSON.stringify(w)}`)
      .join(', '),
  );
  // A status write is not evaluated again.
  const cur = await api.call('GET', '/api/v1/namespaces/watched/pods/plain');
  cur.body.status.phase = 'Running';
  const st = await api.call('PUT', '/api/v1/namespaces/watched/pods/plain/status', cur.body);
  assert.equal(st.status, 200);
  assert.equal(st.headers.get('warning'), null);
});
