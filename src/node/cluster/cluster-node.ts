// The node agent joined to an API server: the Node object and its heartbeats, pods from the API
// (ApiPodSource) instead of a manifests directory, status reports back, and the local endpoint
// whose socket the API server uses for logs and exec. It acts as the kubelet does, as
// `system:node:<name>` (what the Node authorizer allows); NetworkPolicy needs every namespace,
// policy and pod, which a node may not read, so that watch may use its own identity
// (`policyKubeconfig`, e.g. system:corral:network-policy).
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { NodeAgent, type AgentOptions } from '../agent.js';
import { serve, socketPath } from '../endpoint.js';
import { KubeClient } from './client.js';
import { ApiPodSource } from './pod-source.js';
import { ApiPolicySource } from './policy-source.js';
import { NodeRegistration } from './registration.js';
import { StatusReporter } from './status-reporter.js';
import { ServiceAccountTokenManager, type TokenManagerOptions } from './token-manager.js';

export interface ClusterNodeOptions extends Omit<AgentOptions, 'manifestsDir' | 'source'> {
  kubeconfig: string;
  /** Credentials for the NetworkPolicy watch (cluster-wide reads); default: `kubeconfig`. */
  policyKubeconfig?: string;
  /** Overrides the kubeconfigs' server URL. */
  server?: string;
  statusEveryMs?: number;
  /** How often referenced ConfigMaps and Secrets are read again (default 10 s). */
  objectResyncMs?: number;
  tokenRefresh?: TokenManagerOptions['refreshDelay'];
}

export class ClusterNode {
  readonly agent: NodeAgent;
  readonly client: KubeClient;
  private readonly policyClient: KubeClient;
  private readonly tokens: ServiceAccountTokenManager;
  readonly nodeName: string;
  private readonly source: ApiPodSource;
  private readonly registration: NodeRegistration;
  private readonly reporter: StatusReporter;
  private endpoint?: Server;
  private policySource?: ApiPolicySource;

  constructor(o: ClusterNodeOptions) {
    const log = o.log ?? ((m: string) => process.stderr.write(`corral node: ${m}\n`));
    this.nodeName = (o.nodeName ?? hostname()).toLowerCase();
    this.client = KubeClient.fromKubeconfig(o.kubeconfig, o.server);
    this.policyClient = o.policyKubeconfig
      ? KubeClient.fromKubeconfig(o.policyKubeconfig, o.server)
      : this.client;
    this.tokens = new ServiceAccountTokenManager(this.client, log, {
      ...(o.tokenRefresh ? { refreshDelay: o.tokenRefresh } : {}),
    });
    this.source = new ApiPodSource(this.client, this.nodeName, {
      running: (uid) => this.agent.pods().some((p) => p.uid === uid),
      log,
      // A DELETE's grace period (kubectl delete --grace-period) overrides the pod's own: the
      // worker reads it from its pod spec when it stops the containers.
      deleting: (pod, grace) => {
        const w = this.agent.worker(pod.metadata.name, pod.metadata.namespace);
        if (w && w.uid === pod.metadata.uid) {
          const cur = w.pod.spec.terminationGracePeriodSeconds ?? 30;
          w.pod.spec.terminationGracePeriodSeconds = Math.min(cur, grace);
        }
      },
      tokens: this.tokens,
      ...(o.objectResyncMs ? { objectResyncMs: o.objectResyncMs } : {}),
    });
    this.agent = new NodeAgent({
      ...o,
      nodeName: this.nodeName,
      log,
      source: (onChange) => this.source.bind(onChange),
    });
    // Volume setup asks the agent's object source for tokens; only a cluster node has them.
    this.agent.ctx.objects.tokens = this.tokens;
    if (this.agent.policyFeed)
      this.policySource = new ApiPolicySource(this.policyClient, this.agent.policyFeed, log);
    this.registration = new NodeRegistration(this.client, {
      nodeName: this.nodeName,
      endpointSocket: socketPath(o.dataDir),
      ...(o.statusEveryMs ? { statusEveryMs: o.statusEveryMs, leaseEveryMs: o.statusEveryMs } : {}),
      log,
    });
    this.reporter = new StatusReporter(
      this.client,
      () => this.agent,
      this.source,
      this.registration.hostIP,
      log,
    );
  }

  async start(): Promise<void> {
    this.endpoint = await serve(this.agent);
    await this.registration.start();
    await this.agent.start();
    // start() may have found NetworkPolicy cannot be enforced here (it says why in the log).
    if (this.agent.policyFeed) this.policySource?.start();
    this.reporter.start();
  }

  /** `stopPods`: stop every pod (tests, drain); otherwise they keep running for the next agent. */
  async shutdown(o: { stopPods?: boolean } = {}): Promise<void> {
    this.policySource?.stop();
    await this.reporter.stop();
    await this.registration.stop();
    await this.agent.shutdown(o);
    this.tokens.stop();
    this.endpoint?.closeAllConnections();
    await new Promise<void>((res) => (this.endpoint ? this.endpoint.close(() => res()) : res()));
    this.client.close();
    if (this.policyClient !== this.client) this.policyClient.close();
  }
}
