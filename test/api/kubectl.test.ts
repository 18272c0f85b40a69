// Acceptance: the real kubectl (1.32, picked by /usr/bin/kubectl's dispatcher from /version)
// against `corral server` over HTTPS with the admin kubeconfig the server wrote.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { startCorralServer, type RunningServer } from './support/corral-server.js';

const POD = (cmd: string, image = 'busybox') => `apiVersion: v1
kind: Pod
metadata:
  name: bb
  namespace: dev
  labels: {app: bb}
spec:
  containers:
  - name: bb
    image: ${image}
    command: ["sleep", "${cmd}"]
`;
const CM = (v: string) => `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: dev}
data: {a: "${v}"}
`;

test(
  'kubectl against corral server',
  { skip: !existsSync('/usr/bin/kubectl') && 'kubectl is not installed', timeout: 300_000 },
  async (t) => {
    const s: RunningServer = await startCorralServer();
    t.after(() => s.stop());
    const ok = async (args: string[], input?: string) => {
      const r = await s.kubectl(args, { input });
      assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    };
    const fails = async (args: string[], input?: string) => {
      const r = await s.kubectl(args, { input });
      assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should fail`);
      return r.stderr;
    };

    await t.test('version, discovery, api-resources, whoami', async () => {
      assert.match(await ok(['version']), /Server Version: v1\.32\./);
      const res = await ok(['api-resources']);
      for (const r of [
        'pods\\s+po\\s+v1\\s+true\\s+Pod',
        'namespaces\\s+ns',
        'networkpolicies\\s+netpol',
        'clusterroles',
        'leases',
      ])
        assert.match(res, new RegExp(r));
      assert.match(await ok(['auth', 'whoami']), /admin[\s\S]*system:masters/);
      assert.equal((await ok(['auth', 'can-i', 'get', 'pods'])).trim(), 'yes');
      assert.match(await ok(['get', '--raw', '/healthz']), /ok/);
      assert.match(await ok(['cluster-info']), /control plane is running at https:\/\/127\.0\.0\.1/);
    });

    await t.test('create namespace (protobuf), get ns', async () => {
      assert.match(await ok(['create', 'namespace', 'dev']), /namespace\/dev created/);
      assert.match(
        await fails(['create', 'namespace', 'dev']),
        /\(AlreadyExists\).*namespaces "dev" already exists/,
      );
      assert.match(await ok(['get', 'ns']), /^NAME\s+STATUS\s+AGE\n[\s\S]*dev\s+Active\s+\d+s/);
      assert.match(await ok(['get', 'sa', '-n', 'dev']), /default/);
    });

    await t.test('apply -f client-side: created, unchanged, configured', async () => {
      const out = await ok(['apply', '-f', '-'], `${POD('3600')}---\n${CM('1')}`);
      assert.match(out, /pod\/bb created/);
      assert.match(out, /configmap\/cfg created/);
      assert.match(await ok(['apply', '-f', '-'], CM('1')), /configmap\/cfg unchanged/);
      assert.match(await ok(['apply', '-f', '-'], CM('2')), /configmap\/cfg configured/);
      assert.equal(await ok(['get', 'cm', 'cfg', '-n', 'dev', '-o', 'jsonpath={.data.a}']), '2');
    });

    await t.test('apply --server-side', async () => {
      const ssa = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, namespace: dev}\ndata: {k: v}\n';
      assert.match(await ok(['apply', '--server-side', '-f', '-'], ssa), /configmap\/ssa serverside-applied/);
      assert.match(
        await ok(['apply', '--server-side', '-f', '-'], ssa.replace('k: v', 'k: w')),
        /serverside-applied/,
      );
      assert.equal(await ok(['get', 'cm', 'ssa', '-n', 'dev', '-o', 'jsonpath={.data.k}']), 'w');
    });

    await t.test('get: table, wide, json, yaml, -l, -A', async () => {
      assert.match(
        await ok(['get', 'pods', '-n', 'dev']),
        /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nbb\s+0\/1\s+Pending\s+0\s+\d+s\n$/,
      );
      assert.match(
        await ok(['get', 'pods', '-n', 'dev', '-o', 'wide']),
        /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\nbb\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+<none>/,
      );
      const pod = JSON.parse(await ok(['get', 'pod', 'bb', '-n', 'dev', '-o', 'json'])) as {
        metadata: { uid: string; resourceVersion: string };
        spec: { restartPolicy: string };
        status: { phase: string };
      };
      assert.match(pod.metadata.uid, /^[0-9a-f-]{36}$/);
      assert.equal(pod.spec.restartPolicy, 'Always');
      assert.equal(pod.status.phase, 'Pending');
      assert.match(await ok(['get', 'pod', 'bb', '-n', 'dev', '-o', 'yaml']), /^apiVersion: v1\nkind: Pod\n/);
      assert.match(await ok(['get', 'pods', '-n', 'dev', '-l', 'app=bb']), /\nbb\s/);
      const none = await s.kubectl(['get', 'pods', '-n', 'dev', '-l', 'app in (other)']);
      assert.match(none.stderr, /No resources found in dev namespace/);
      assert.match(await ok(['get', 'pods', '-A']), /NAMESPACE\s+NAME[\s\S]*\ndev\s+bb\s/);
      assert.match(await ok(['get', 'pods', '-n', 'dev', '--show-labels']), /app=bb/);
      assert.match(
        await ok(['get', 'pods', '-n', 'dev', '--field-selector', 'status.phase=Pending']),
        /\nbb\s/,
      );
    });

    await t.test('get -w sees an update', async () => {
      const w = s.spawnKubectl(['get', 'pods', '-n', 'dev', '-w']);
      try {
        // One listener for the whole watch: kubectl may flush a row in several chunks.
        let out = '';
        let wake = () => {};
        w.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          wake();
        });
        const lines = (n: number) =>
          new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`watch output so far: ${out}`)), 20_000);
            wake = () => {
              if (out.split('\n').filter((l) => /^bb\s/.test(l)).length >= n) {
                clearTimeout(timer);
                resolve();
              }
            };
            wake();
          });
        await lines(1);
        await ok(['label', 'pod', 'bb', '-n', 'dev', 'seen=yes']);
        await lines(2);
      } finally {
        w.kill();
      }
    });

    await t.test('describe', async () => {
      const d = await ok(['describe', 'pod', 'bb', '-n', 'dev']);
      assert.match(d, /Name:\s+bb\nNamespace:\s+dev/);
      assert.match(d, /Labels:\s+app=bb/);
      assert.match(d, /Image:\s+busybox/);
      assert.match(await ok(['describe', 'ns', 'dev']), /Status:\s+Active/);
    });

    await t.test('replace, stale replace conflict, patch', async () => {
      const cur = JSON.parse(await ok(['get', 'pod', 'bb', '-n', 'dev', '-o', 'json'])) as {
        metadata: { resourceVersion: string };
        spec: { containers: Array<{ image: string }> };
      };
      const stale = structuredClone(cur);
      cur.spec.containers[0]!.image = 'busybox:1.36';
      assert.match(await ok(['replace', '-f', '-'], JSON.stringify(cur)), /pod\/bb replaced/);
      stale.spec.containers[0]!.image = 'busybox:1.35';
      assert.match(
        await fails(['replace', '-f', '-'], JSON.stringify(stale)),
        /Error from server \(Conflict\): error when replacing "STDIN": Operation cannot be fulfilled on pods "bb": the object has been modified; please apply your changes to the latest version and try again/,
      );
      assert.match(
        await ok(['patch', 'cm', 'cfg', '-n', 'dev', '--type', 'merge', '-p', '{"data":{"b":"3"}}']),
        /configmap\/cfg patched/,
      );
      assert.match(
        await ok([
          'patch',
          'pod',
          'bb',
          '-n',
          'dev',
          '-p',
          '{"spec":{"containers":[{"name":"bb","image":"busybox:1.37"}]}}',
        ]),
        /pod\/bb patched/,
      );
      assert.equal(
        await ok([
          'get',
          'pod',
          'bb',
          '-n',
          'dev',
          '-o',
          'jsonpath={.spec.containers[0].image} {.metadata.generation}',
        ]),
        'busybox:1.37 3',
      );
      assert.equal(await ok(['get', 'cm', 'cfg', '-n', 'dev', '-o', 'jsonpath={.data.b}']), '3');
    });

    await t.test('validation and strict field errors as on a real cluster', async () => {
      const bad =
        'apiVersion: v1\nkind: Pod\nmetadata: {name: bad1, namespace: dev}\nspec:\n  containers:\n  - name: c\n';
      assert.match(
        await fails(['apply', '-f', '-'], bad),
        /The Pod "bad1" is invalid: spec\.containers\[0\]\.image: Required value/,
      );
      const unknown =
        'apiVersion: v1\nkind: Pod\nmetadata: {name: bad2, namespace: dev}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    imagePullPolicyy: Always\n';
      assert.match(
        await fails(['apply', '-f', '-'], unknown),
        /Error from server \(BadRequest\).*strict decoding error: unknown field "spec\.containers\[0\]\.imagePullPolicyy"/,
      );
      assert.match(
        await fails(['create', 'namespace', 'Bad_Name']),
        /metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 label/,
      );
      assert.match(
        await fails(['get', 'pod', 'nope', '-n', 'dev']),
        /Error from server \(NotFound\): pods "nope" not found/,
      );
      assert.match(
        await fails(['apply', '-f', '-'], POD('1').replace('namespace: dev', 'namespace: missing')),
        /namespaces "missing" not found/,
      );
    });

    await t.test('dry-run=server persists nothing', async () => {
      assert.match(
        await ok(['create', 'configmap', 'dry', '-n', 'dev', '--from-literal=a=b', '--dry-run=server']),
        /configmap\/dry created \(server dry run\)/,
      );
      assert.match(await fails(['get', 'cm', 'dry', '-n', 'dev']), /NotFound/);
    });

    await t.test('events', async () => {
      const uid = await ok(['get', 'pod', 'bb', '-n', 'dev', '-o', 'jsonpath={.metadata.uid}']);
      const ev = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'bb.1', namespace: 'dev' },
        involvedObject: { kind: 'Pod', namespace: 'dev', name: 'bb', uid, apiVersion: 'v1' },
        reason: 'Scheduled',
        message: 'Successfully assigned dev/bb to node-1',
        type: 'Normal',
        source: { component: 'default-scheduler' },
        count: 1,
        firstTimestamp: new Date().toISOString().replace(/\.\d+Z/, 'Z'),
        lastTimestamp: new Date().toISOString().replace(/\.\d+Z/, 'Z'),
      };
      await ok(['create', '-f', '-'], JSON.stringify(ev));
      assert.match(
        await ok(['get', 'events', '-n', 'dev']),
        /LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n\S+\s+Normal\s+Scheduled\s+pod\/bb\s+Successfully assigned dev\/bb to node-1/,
      );
      assert.match(
        await ok(['describe', 'pod', 'bb', '-n', 'dev']),
        /Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned/,
      );
      assert.match(await ok(['events', '-n', 'dev', '--for', 'pod/bb']), /Scheduled/);
    });

    await t.test('explain (OpenAPI v3)', async () => {
      const e = await ok(['explain', 'pods']);
      assert.match(e, /KIND:\s+Pod\nVERSION:\s+v1/);
      assert.match(e, /spec\s+<Object>/);
      assert.match(await ok(['explain', 'pods.spec.containers']), /image\s+<string>/);
    });

    await t.test('create generators (protobuf) for rbac, quota, secret', async () => {
      assert.match(
        await ok(['create', 'role', 'r', '-n', 'dev', '--verb=get,list', '--resource=pods']),
        /role.rbac.authorization.k8s.io\/r created/,
      );
      assert.match(
        await ok(['create', 'rolebinding', 'rb', '-n', 'dev', '--role=r', '--user=alice']),
        /created/,
      );
      assert.match(
        await ok(['create', 'quota', 'q', '-n', 'dev', '--hard=pods=5']),
        /resourcequota\/q created/,
      );
      assert.match(
        await ok(['create', 'secret', 'generic', 's', '-n', 'dev', '--from-literal=p=secret']),
        /secret\/s created/,
      );
      assert.equal(
        await ok(['get', 'secret', 's', '-n', 'dev', '-o', 'jsonpath={.data.p}']),
        Buffer.from('secret').toString('base64'),
      );
      assert.match(
        await ok(['get', 'rolebindings', '-n', 'dev', '-o', 'wide']),
        /rb\s+Role\/r\s+\S+\s+alice/,
      );
    });

    await t.test('delete waits for the object; namespace deletion empties it', async () => {
      assert.match(await ok(['delete', 'pod', 'bb', '-n', 'dev']), /pod "bb" deleted/);
      assert.match(await fails(['get', 'pod', 'bb', '-n', 'dev']), /NotFound/);
      assert.match(await ok(['delete', 'namespace', 'dev', '--timeout=30s']), /namespace "dev" deleted/);
      assert.match(await fails(['get', 'ns', 'dev']), /NotFound/);
    });
  },
);
