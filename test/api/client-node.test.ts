// Acceptance: the official JS client (@kubernetes/client-node, a dev dependency) lists, creates,
// patches and watches pods on `corral server` over HTTPS with the kubeconfig it wrote.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCorralServer } from './support/corral-server.js';

// Typed loosely and imported by a computed name, so the build does not depend on the package.
type Pod = {
  metadata?: { name?: string; labels?: Record<string, string>; resourceVersion?: string };
  status?: { phase?: string };
};
interface CoreV1 {
  createNamespace(a: { body: unknown }): Promise<unknown>;
  createNamespacedPod(a: { namespace: string; body: unknown }): Promise<Pod>;
  listNamespacedPod(a: {
    namespace: string;
    labelSelector?: string;
  }): Promise<{ items: Pod[]; metadata?: { resourceVersion?: string } }>;
  patchNamespacedPod(a: { namespace: string; name: string; body: unknown }): Promise<Pod>;
  readNamespacedPod(a: { namespace: string; name: string }): Promise<Pod>;
  deleteNamespacedPod(a: { namespace: string; name: string }): Promise<unknown>;
}
interface ClientNode {
  KubeConfig: new () => { loadFromFile(f: string): void; makeApiClient(api: unknown): CoreV1 };
  CoreV1Api: unknown;
  Watch: new (kc: unknown) => {
    watch(
      path: string,
      q: object,
      cb: (type: string, obj: Pod) => void,
      done: (err: unknown) => void,
    ): Promise<{ abort(): void }>;
  };
}
const pkg = '@kubernetes/client-node';
const k8s = (await import(pkg).catch(() => undefined)) as ClientNode | undefined;

test(
  '@kubernetes/client-node lists, creates, patches and watches pods',
  { skip: !k8s && '@kubernetes/client-node is not installed', timeout: 120_000 },
  async (t) => {
    const s = await startCorralServer();
    t.after(() => s.stop());
    const kc = new k8s!.KubeConfig();
    kc.loadFromFile(s.kubeconfig);
    const core = kc.makeApiClient(k8s!.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'js' } } });

    const events: string[] = [];
    const watch = new k8s!.Watch(kc);
    const seen = new Promise<void>((resolve) => {
      void watch
        .watch(
          '/api/v1/namespaces/js/pods',
          {},
          (type, obj) => {
            events.push(`${type} ${obj.metadata?.name}`);
            if (events.includes('MODIFIED web')) resolve();
          },
          () => {},
        )
        .then((req) => t.after(() => req.abort()));
    });

    const created = await core.createNamespacedPod({
      namespace: 'js',
      body: {
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '60'] }] },
      },
    });
    assert.equal(created.metadata?.name, 'web');
    assert.equal(created.status?.phase, 'Pending');
    const list = await core.listNamespacedPod({ namespace: 'js', labelSelector: 'app=web' });
    assert.deepEqual(
      list.items.map((p) => p.metadata?.name),
      ['web'],
    );
    assert.ok(Number(list.metadata?.resourceVersion) > 0);
    // The generated patch methods send JSON Patch by default.
    await core.patchNamespacedPod({
      namespace: 'js',
      name: 'web',
      body: [{ op: 'add', path: '/metadata/labels/tier', value: 'front' }],
    });
    await seen;
    assert.deepEqual(events.slice(0, 2), ['ADDED web', 'MODIFIED web']);
    const got = await core.readNamespacedPod({ namespace: 'js', name: 'web' });
    assert.equal(got.metadata?.labels?.tier, 'front');
    await core.deleteNamespacedPod({ namespace: 'js', name: 'web' });
    await assert.rejects(
      core.readNamespacedPod({ namespace: 'js', name: 'web' }),
      (e: { code?: number }) => e.code === 404,
    );
  },
);
