// The Node object and its heartbeats, as the kubelet keeps them: the Node is created (or taken
// over) at start with capacity from /proc, addresses and nodeInfo; status.conditions are renewed
// every `statusEveryMs`, and a Lease in kube-node-lease every `leaseEveryMs`.
//
// How the API server reaches this agent for logs and exec: the unix socket of the agent's local
// endpoint, published in the annotation ENDPOINT_ANNOTATION. That only works when the API server
// runs on the same machine (as with `corral up`); a TLS endpoint on :10250 is the multi-machine
// step still to come (daemonEndpoints already names that port).
import { readFileSync } from 'node:fs';
import { arch, cpus, hostname, networkInterfaces, release, totalmem } from 'node:os';
import { ApiError, type KubeClient, type KubeObject } from './client.js';

export const ENDPOINT_ANNOTATION = 'corral.dev/endpoint-socket';
const VERSION = 'v1.32.4-corral';

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const nowMicro = () => new Date().toISOString().replace(/Z$/, '000Z');

/** The first non-internal IPv4 address, else loopback. */
export function hostAddress(): string {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

function osImage(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readOr('/etc/os-release', ''));
  return m?.[1] ?? 'Linux';
}

function capacity(): Record<string, string> {
  const memKi = /^MemTotal:\s+(\d+)\s+kB/m.exec(readOr('/proc/meminfo', ''))?.[1];
  return {
    cpu: String(cpus().length),
    memory: `${memKi ?? Math.floor(totalmem() / 1024)}Ki`,
    pods: '110',
    'ephemeral-storage': '0',
  };
}

export interface RegistrationOptions {
  nodeName: string;
  endpointSocket: string;
  statusEveryMs?: number;
  leaseEveryMs?: number;
  log: (m: string) => void;
}

export class NodeRegistration {
  private timers: NodeJS.Timeout[] = [];
  private readonly transition = now();
  readonly hostIP = hostAddress();

  constructor(
    private readonly client: KubeClient,
    private readonly o: RegistrationOptions,
  ) {}

  private get path(): string {
    return `/api/v1/nodes/${encodeURIComponent(this.o.nodeName)}`;
  }

  status(ready = true): Record<string, unknown> {
    const cap = capacity();
    const beat = now();
    const cond = (type: string, status: string, reason: string, message: string) => ({
      type,
      status,
      lastHeartbeatTime: beat,
      lastTransitionTime: this.transition,
      reason,
      message,
    });
    return {
      capacity: cap,
      allocatable: cap,
      conditions: [
        cond(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        ready
          ? cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
          : cond('Ready', 'False', 'KubeletNotReady', 'kubelet is stopping'),
      ],
      addresses: [
        { type: 'InternalIP', address: this.hostIP },
        { type: 'Hostname', address: hostname() },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: readOr('/etc/machine-id', ''),
        systemUUID: readOr('/sys/class/dmi/id/product_uuid', ''),
        bootID: readOr('/proc/sys/kernel/random/boot_id', ''),
        kernelVersion: release(),
        osImage: osImage(),
        containerRuntimeVersion: 'corral://0.1.0',
        kubeletVersion: VERSION,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: arch() === 'x64' ? 'amd64' : arch(),
      },
    };
  }

  /** Create or take over the Node, post its status, start the heartbeats. */
  async start(): Promise<void> {
    const meta = {
      name: this.o.nodeName,
      labels: {
        'kubernetes.io/hostname': this.o.nodeName,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': arch() === 'x64' ? 'amd64' : arch(),
      },
      annotations: { [ENDPOINT_ANNOTATION]: this.o.endpointSocket },
    };
    try {
      await this.client.request('POST', '/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: meta,
        spec: {},
      });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
      await this.client.request('PATCH', this.path, { metadata: meta }, 'application/merge-patch+json');
    }
    await this.postStatus(true);
    await this.renewLease();
    this.timers.push(
      setInterval(
        () => void this.postStatus(true).catch((e: Error) => this.o.log(`node status: ${e.message}`)),
        this.o.statusEveryMs ?? 10_000,
      ),
      setInterval(
        () => void this.renewLease().catch((e: Error) => this.o.log(`node lease: ${e.message}`)),
        this.o.leaseEveryMs ?? 10_000,
      ),
    );
  }

  private postStatus(ready: boolean): Promise<KubeObject> {
    return this.client.request(
      'PATCH',
      `${this.path}/status`,
      { status: this.status(ready) },
      'application/merge-patch+json',
    );
  }

  private async renewLease(): Promise<void> {
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${encodeURIComponent(this.o.nodeName)}`;
    const spec = { holderIdentity: this.o.nodeName, leaseDurationSeconds: 40, renewTime: nowMicro() };
    try {
      await this.client.request('PATCH', path, { spec }, 'application/merge-patch+json');
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
      await this.client.request('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.o.nodeName, namespace: 'kube-node-lease' },
        spec,
      });
    }
  }

  /** Stop the heartbeats; `notReady` marks the node NotReady (a clean stop). */
  async stop(notReady = true): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (notReady) await this.postStatus(false).catch(() => undefined);
  }
}
