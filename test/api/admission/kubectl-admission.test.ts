// Kubernetes namespaces as boundaries, as the real kubectl shows them against `corral server`:
// quota exceeded and missing-limits messages, LimitRange defaults on created pods, a restricted
// namespace refusing a privileged pod with its violations (and warn mode's warnings), and a
// namespace deletion that takes everything in it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { startCorralServer } from '../support/corral-server.js';

const pod = (name: string, ns: string, extra = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}}
spec:
  containers:
  - name: c
    image: busybox
    command: [sleep, '3600']
${extra}`;

test(
  'kubectl: quota, LimitRange, Pod Security and namespace deletion',
  { skip: !existsSync('/usr/bin/kubectl') && 'kubectl is not installed', timeout: 300_000 },
  async (t) => {
    const s = await startCorralServer();
    t.after(() => s.stop());
    const run = (args: string[], input?: string) => s.kubectl(args, input === undefined ? {} : { input });
    const ok = async (args: string[], input?: string) => {
      const r = await run(args, input);
      assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
      return r;
    };

    await t.test('ResourceQuota: counts and compute, with the Kubernetes messages', async () => {
      await ok(['create', 'namespace', 'team']);
      await ok(['create', 'quota', 'q', '-n', 'team', '--hard=pods=1,limits.memory=64Mi']);
      const noLimits = await run(['apply', '-f', '-'], pod('a', 'team'));
      assert.notEqual(noLimits.code, 0);
      assert.match(
        noLimits.stderr,
        /Error from server \(Forbidden\).*pods "a" is forbidden: failed quota: q: must specify limits.memory for: c/,
      );
      const limited = '    resources: {limits: {memory: 32Mi}}\n';
      await ok(['apply', '-f', '-'], pod('a', 'team', limited));
      const second = await run(['apply', '-f', '-'], pod('b', 'team', limited));
      assert.match(
        second.stderr,
        /pods "b" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1/,
      );
      // The quota's usage as `kubectl describe quota` shows it.
      for (let i = 0; ; i++) {
        const d = (await ok(['describe', 'quota', 'q', '-n', 'team'])).stdout;
        if (/pods\s+1\s+1/.test(d) && /limits\.memory\s+32Mi\s+64Mi/.test(d)) break;
        if (i > 50) assert.fail(`quota usage not shown: ${d}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    });

    await t.test('LimitRange: defaults appear on the created pod', async () => {
      await ok(['create', 'namespace', 'lr']);
      await ok(
        ['apply', '-f', '-'],
        `apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: lr}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 128Mi}
    defaultRequest: {cpu: 100m, memory: 64Mi}
    max: {memory: 256Mi}
`,
      );
      await ok(['apply', '-f', '-'], pod('d', 'lr'));
      const res = JSON.parse(
        (await ok(['get', 'pod', 'd', '-n', 'lr', '-o', 'jsonpath={.spec.containers[0].resources}'])).stdout,
      );
      assert.deepEqual(res, {
        limits: { cpu: '500m', memory: '128Mi' },
        requests: { cpu: '100m', memory: '64Mi' },
      });
      const big = await run(
        ['apply', '-f', '-'],
        pod('big', 'lr', '    resources: {limits: {memory: 1Gi}}\n'),
      );
      assert.match(
        big.stderr,
        /pods "big" is forbidden: maximum memory usage per Container is 256Mi, but limit is 1Gi/,
      );
    });

    await t.test('Pod Security: restricted refuses a privileged pod; warn mode warns', async () => {
      await ok(['create', 'namespace', 'locked']);
      await ok(['label', 'namespace', 'locked', 'pod-security.kubernetes.io/enforce=restricted']);
      const priv = await run(
        ['apply', '-f', '-'],
        pod('p', 'locked', '    securityContext: {privileged: true}\n'),
      );
      assert.notEqual(priv.code, 0);
      assert.match(
        priv.stderr,
        /pods "p" is forbidden: violates PodSecurity "restricted:latest": privileged \(container "c" must not set securityContext.privileged=true\), allowPrivilegeEscalation != false/,
      );
      await ok(['create', 'namespace', 'watched']);
      await ok(['label', 'namespace', 'watched', 'pod-security.kubernetes.io/warn=restricted']);
      const warned = await ok(['apply', '-f', '-'], pod('w', 'watched'));
      assert.match(
        warned.stderr,
        /Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/,
      );
      assert.match(warned.stdout, /pod\/w created/);
    });

    await t.test('deleting a namespace removes everything in it; the name is free again', async () => {
      await ok(['create', 'namespace', 'gone']);
      await ok(['create', 'configmap', 'cm', '-n', 'gone', '--from-literal=a=b']);
      await ok(['create', 'role', 'r', '-n', 'gone', '--verb=get', '--resource=pods']);
      await ok(['apply', '-f', '-'], pod('x', 'gone'));
      await ok(['delete', 'namespace', 'gone', '--timeout=60s']);
      assert.match((await run(['get', 'ns', 'gone'])).stderr, /NotFound/);
      await ok(['create', 'namespace', 'gone']);
      assert.match((await run(['get', 'cm,role,pods', '-n', 'gone'])).stderr + '', /No resources found|^$/);
      const left = (await ok(['get', 'configmap', '-n', 'gone', '-o', 'name'])).stdout;
      assert.doesNotMatch(left, /configmap\/cm/);
      const kept = await run(['delete', 'namespace', 'default']);
      assert.match(kept.stderr, /namespaces "default" is forbidden: this namespace may not be deleted/);
    });
  },
);
