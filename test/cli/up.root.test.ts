// Acceptance for `corral up`: the API server and the node agent in one process, driven by the
// real kubectl with the kubeconfig it writes — run a pod, see it Running on a Ready node, read
// its log, exec into it (exit codes, hostname), delete it and see its processes gone. The agent
// does all of it as system:node:<name> (its NetworkPolicy watch as system:corral:network-policy),
// and the pod's ServiceAccount token file authenticates against the API server.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import https from 'node:https';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { openCgroups } from '../../src/kernel/cgroup/index.js';
import { startCorralUp } from '../support/corral-up.js';
import { isRoot } from './support.js';

/** The user (CN) and groups (O) of the client certificate in a kubeconfig. */
function certSubject(kubeconfig: string): string {
  const cfg = JSON.parse(readFileSync(kubeconfig, 'utf8')) as {
    users: { user: { 'client-certificate-data': string } }[];
  };
  const pem = Buffer.from(cfg.users[0]!.user['client-certificate-data'], 'base64').toString();
  return execFileSync('openssl', ['x509', '-noout', '-subject', '-nameopt', 'RFC2253'], {
    input: pem,
    encoding: 'utf8',
  })
    .trim()
    .replace(/^subject=\s*/, '');
}

/** Who a bearer token is to the API server (SelfSubjectReview), or the HTTP status. */
function whoAmI(server: string, ca: string, token: string): Promise<string | number> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${server}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
      method: 'POST',
      ca,
      agent: false,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () =>
        resolve(
          res.statusCode === 201
            ? (JSON.parse(body) as { status: { userInfo: { username: string } } }).status.userInfo.username
            : (res.statusCode ?? 0),
        ),
      );
    });
    req.end(JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }));
  });
}

/** Every process in the cgroup tree below `root` (only our pods live there). */
function podProcesses(root: string): number[] {
  const probe = openCgroups({ root }).manager('probe');
  const out = new Set<number>();
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    try {
      for (const p of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean))
        out.add(Number(p));
    } catch {
      /* gone */
    }
  };
  for (const top of new Set(Object.values(probe.dirs()).map((d) => dirname(d)))) walk(top);
  return [...out];
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
};

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test(
  'corral up: kubectl run, get, logs, exec, delete on a one-machine cluster',
  {
    skip: (!isRoot && 'needs root') || (!existsSync('/usr/bin/kubectl') && 'kubectl is not installed'),
    timeout: 240_000,
  },
  async (t) => {
    // The node's bridge and NetworkPolicy table live in a network namespace of the test's own.
    const netns = `cup-${process.pid}`;
    spawnSync('ip', ['netns', 'del', netns], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'add', netns]);
    t.after(() => void spawnSync('ip', ['netns', 'del', netns], { stdio: 'ignore' }));
    const { dataDir, cgroupRoot, child, exited, err, kubectl } = await startCorralUp(t, {
      name: 'up',
      nodeName: 'up-node',
      args: [
        '--cni-netns',
        `/run/netns/${netns}`,
        '--bridge',
        `cup${process.pid % 100000}`,
        '--pod-cidr',
        '10.216.3.0/24',
      ],
    });
    const ok = async (args: string[], input?: string) => {
      const r = await kubectl(args, input);
      assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}\n${err()}`);
      return r.stdout;
    };
    const lease = JSON.parse(
      await ok(['get', 'lease', '-n', 'kube-node-lease', 'up-node', '-o', 'json']),
    ) as {
      spec: { holderIdentity: string };
    };
    assert.equal(lease.spec.holderIdentity, 'up-node');
    // The agent is no admin: its own identities, minted from the cluster CA.
    assert.equal(certSubject(join(dataDir, 'node.kubeconfig')), 'CN=system:node:up-node,O=system:nodes');
    assert.equal(certSubject(join(dataDir, 'network-policy.kubeconfig')), 'CN=system:corral:network-policy');

    await ok(['run', 'p', '--image=busybox', '--restart=Never', '--', 'sh', '-c', 'echo hi; sleep 30']);
    const pod = await waitFor('pod p Running', async () => {
      const r = await kubectl(['get', 'pod', 'p', '-o', 'json']);
      if (r.code !== 0) return undefined;
      const p = JSON.parse(r.stdout) as {
        spec: { nodeName?: string };
        status: {
          phase?: string;
          hostIP?: string;
          startTime?: string;
          containerStatuses?: { ready: boolean }[];
        };
      };
      return p.status.phase === 'Running' && p.status.containerStatuses?.[0]?.ready ? p : undefined;
    });
    assert.equal(pod.spec.nodeName, 'up-node');
    assert.ok(pod.status.hostIP && pod.status.startTime);
    assert.match(await ok(['get', 'pod', 'p']), /p\s+1\/1\s+Running\s+0/);

    await waitFor('the log', async () => (await kubectl(['logs', 'p'])).stdout === 'hi\n');

    // The pod's ServiceAccount token: in the container, on the host side of its volume, and good
    // for the API server as system:serviceaccount:default:default.
    const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
    const token = await ok(['exec', 'p', '--', 'cat', `${sa}/token`]);
    assert.match(token, /^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal(await ok(['exec', 'p', '--', 'cat', `${sa}/namespace`]), 'default');
    assert.match(await ok(['exec', 'p', '--', 'cat', `${sa}/ca.crt`]), /BEGIN CERTIFICATE/);
    const uid = (await ok(['get', 'pod', 'p', '-o', 'jsonpath={.metadata.uid}'])).trim();
    const projected = join(dataDir, 'pods', uid, 'volumes', 'kubernetes.io~projected');
    const vol = readdirSync(projected).find((d) => d.startsWith('kube-api-access-'));
    assert.ok(vol, `a kube-api-access volume under ${projected}`);
    assert.equal(readFileSync(join(projected, vol, 'token'), 'utf8'), token);
    const server = (
      JSON.parse(readFileSync(join(dataDir, 'kubeconfig'), 'utf8')) as {
        clusters: { cluster: { server: string } }[];
      }
    ).clusters[0]!.cluster.server;
    const ca = readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8');
    assert.equal(await whoAmI(server, ca, token), 'system:serviceaccount:default:default');

    const three = await kubectl(['exec', 'p', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(three.code, 3, three.stderr);
    assert.equal(three.stdout, 'out\n');
    assert.match(three.stderr, /err\n[\s\S]*command terminated with exit code 3/);
    assert.equal(await ok(['exec', 'p', '--', 'hostname']), 'p\n');
    assert.equal(await ok(['exec', '-i', 'p', '--', 'cat'], 'through stdin\n'), 'through stdin\n');
    const missing = await kubectl(['exec', 'p', '--', 'no-such-command']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no-such-command/);

    // Pod networking: an address from the pod CIDR, reachable from another pod until a
    // NetworkPolicy (from the API) denies it.
    await ok([
      'run',
      'srv',
      '--image=busybox',
      '--restart=Never',
      '--labels=app=srv',
      '--',
      'nc',
      '-ll',
      '-p',
      '8080',
      '-e',
      'echo',
      'hi',
    ]);
    const srvIP = await waitFor('srv has an address', async () => {
      const ip = (await kubectl(['get', 'pod', 'srv', '-o', 'jsonpath={.status.podIP}'])).stdout;
      return /^10\.216\.3\.\d+$/.test(ip) ? ip : undefined;
    });
    const probe = async () => (await kubectl(['exec', 'p', '--', 'nc', '-w', '1', srvIP, '8080'])).stdout;
    await waitFor('p reaches srv', async () => (await probe()) === 'hi\n');
    await ok(
      ['apply', '-f', '-'],
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-srv}\nspec: {podSelector: {matchLabels: {app: srv}}, policyTypes: [Ingress]}\n',
    );
    await waitFor('the policy drops p -> srv', async () => (await probe()) === '', 10_000);
    await ok(['delete', 'networkpolicy', 'deny-srv']);
    await waitFor('p reaches srv again', async () => (await probe()) === 'hi\n', 10_000);
    await ok(['delete', 'pod', 'srv', '--grace-period=1', '--timeout=60s']);

    const pids = podProcesses(cgroupRoot);
    assert.ok(pids.length >= 2, `pause and the container run below ${cgroupRoot}`);
    // sh as PID 1 ignores SIGTERM: the DELETE's grace period (not the pod's 30 s) bounds the stop.
    const t0 = Date.now();
    await ok(['delete', 'pod', 'p', '--grace-period=2', '--timeout=60s']);
    assert.ok(Date.now() - t0 < 20_000, `delete took ${Date.now() - t0} ms`);
    await waitFor('the pod to disappear', async () =>
      /NotFound/.test((await kubectl(['get', 'pod', 'p'])).stderr),
    );
    await waitFor('the pod processes to end', async () => pids.every((p) => !alive(p)), 10_000);
    assert.equal(child.exitCode, null);

    child.kill('SIGTERM');
    await exited;
    assert.equal(child.exitCode, 0, err());
    assert.deepEqual(podProcesses(cgroupRoot), []);
  },
);
