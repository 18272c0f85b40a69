// A real API server (plain HTTP) running the default admission chain and the quota controller
// over the given storage (default: in memory), plus helpers the admission tests share.
import { defaultAdmission, QuotaTracker } from '../../../src/api/admission/index.js';
import type { Admission } from '../../../src/api/admission/types.js';
import { QuotaController } from '../../../src/api/controllers/quota.js';
import type { Storage } from '../../../src/api/storage/types.js';
import { startTestApi, type Reply, type TestApi } from '../support/api.js';
import { MemoryStorage } from '../support/memory-storage.js';

export interface AdmissionApi extends TestApi {
  quotas: QuotaTracker;
  stop(): Promise<void>;
  namespace(name: string, labels?: Record<string, string>): Promise<void>;
  /** Polls the quota until `pred(status)` holds (the controller is asynchronous). */
  quotaStatus(ns: string, name: string, pred: (s: QuotaStatus) => boolean): Promise<QuotaStatus>;
}

export interface QuotaStatus {
  hard?: Record<string, string>;
  used?: Record<string, string>;
}

export async function startAdmissionApi(storage: Storage = new MemoryStorage()): Promise<AdmissionApi> {
  const quotas = new QuotaTracker(storage);
  const admission: Admission = defaultAdmission({ storage, quotas });
  const api = await startTestApi({ storage, admission });
  const controller = new QuotaController(quotas, () => {}, 0);
  await controller.start();
  return {
    ...api,
    quotas,
    async stop() {
      await controller.stop();
      await api.server.stop();
    },
    async namespace(name, labels) {
      const r = await api.call('POST', '/api/v1/namespaces', { metadata: { name, labels } });
      if (r.status !== 201) throw new Error(`namespace ${name}: ${JSON.stringify(r.body)}`);
    },
    async quotaStatus(ns, name, pred) {
      let last: Reply | undefined;
      for (let i = 0; i < 200; i++) {
        last = await api.call('GET', `/api/v1/namespaces/${ns}/resourcequotas/${name}`);
        const st = (last.body?.status ?? {}) as QuotaStatus;
        if (last.status === 200 && pred(st)) return st;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`quota ${ns}/${name} never reached the expected status: ${JSON.stringify(last?.body)}`);
    },
  };
}

export const podWith = (
  name: string,
  container: Record<string, unknown> = {},
  spec: Record<string, unknown> = {},
) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox', ...container }], ...spec },
});
