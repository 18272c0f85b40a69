// The inputs of the NetworkPolicy compiler: the pods and namespaces the node knows about and the
// networking.k8s.io/v1 NetworkPolicy objects, as the API serves them (optional fields may be null).

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface LabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] | null }> | null;
}

export interface NetworkPolicyPort {
  protocol?: Protocol | null;
  /** A number, or the name of a container port of the destination pod. */
  port?: number | string | null;
  endPort?: number | null;
}

export interface IPBlock {
  cidr: string;
  except?: string[] | null;
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector | null;
  namespaceSelector?: LabelSelector | null;
  ipBlock?: IPBlock | null;
}

export interface NetworkPolicyIngressRule {
  from?: NetworkPolicyPeer[] | null;
  ports?: NetworkPolicyPort[] | null;
}

export interface NetworkPolicyEgressRule {
  to?: NetworkPolicyPeer[] | null;
  ports?: NetworkPolicyPort[] | null;
}

export interface NetworkPolicySpec {
  podSelector: LabelSelector;
  policyTypes?: Array<'Ingress' | 'Egress'> | null;
  ingress?: NetworkPolicyIngressRule[] | null;
  egress?: NetworkPolicyEgressRule[] | null;
}

export interface NetworkPolicy {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  spec: NetworkPolicySpec;
}

export interface PolicyPod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ips: string[];
  ports: { name?: string; containerPort: number; protocol?: Protocol }[];
  /** Pods on the host network share the node's addresses; policies do not apply to them. */
  hostNetwork?: boolean;
}

export interface PolicyNamespace {
  name: string;
  labels: Record<string, string>;
}

export interface PolicyState {
  pods: PolicyPod[];
  namespaces: PolicyNamespace[];
  policies: NetworkPolicy[];
}
