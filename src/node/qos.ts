// Quality-of-service classes and the kubelet's resource formulas (pkg/apis/core/v1/helper/qos,
// pkg/kubelet/cm/helpers_linux.go, pkg/kubelet/qos/policy.go): QoS class, where a pod's cgroup
// sits, container and pod cgroup limits, oom_score_adj.
import { milliCPUToQuota, milliCPUToShares, QUOTA_PERIOD_USEC } from '../kernel/cgroup/convert.js';
import type { LinuxResources } from '../kernel/cgroup/types.js';
import { parseQuantity } from '../util/quantity.js';
import type { Container, Pod, PodStatus, ResourceList } from './types.js';

export type QOSClass = PodStatus['qosClass'];

export interface Amounts {
  /** milli-CPU */
  cpu?: number;
  /** bytes */
  memory?: number;
}

export interface ContainerAmounts {
  requests: Amounts;
  limits: Amounts;
}

function amounts(list: ResourceList | undefined, field: string): Amounts {
  const out: Amounts = {};
  if (list?.cpu !== undefined) out.cpu = Math.ceil(parseQuantity(String(list.cpu), `${field}.cpu`) * 1000);
  if (list?.memory !== undefined)
    out.memory = Math.ceil(parseQuantity(String(list.memory), `${field}.memory`));
  return out;
}

/** Requests default to limits where only a limit is given (API defaulting). */
export function containerAmounts(c: Container): ContainerAmounts {
  const field = `containers[${c.name}].resources`;
  const limits = amounts(c.resources?.limits, `${field}.limits`);
  const requests = amounts(c.resources?.requests, `${field}.requests`);
  if (requests.cpu === undefined && limits.cpu !== undefined) requests.cpu = limits.cpu;
  if (requests.memory === undefined && limits.memory !== undefined) requests.memory = limits.memory;
  return { requests, limits };
}

const allContainers = (pod: Pod): Container[] => [...(pod.spec.initContainers ?? []), ...pod.spec.containers];

/** GetPodQOS: BestEffort without any request or limit; Guaranteed when every container has
 *  cpu and memory limits equal to its requests; Burstable otherwise. */
export function qosClass(pod: Pod): QOSClass {
  let any = false;
  let guaranteed = true;
  for (const c of allContainers(pod)) {
    const { requests, limits } = containerAmounts(c);
    for (const r of ['cpu', 'memory'] as const) {
      if ((requests[r] ?? 0) > 0 || (limits[r] ?? 0) > 0) any = true;
      if (limits[r] === undefined || requests[r] !== limits[r]) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** The pod's cgroup below Corral's root: kubepods/pod<uid> (Guaranteed) or kubepods/<tier>/pod<uid>. */
export function podCgroupPath(uid: string, qos: QOSClass): string {
  if (qos === 'Guaranteed') return `kubepods/pod${uid}`;
  return `kubepods/${qos.toLowerCase()}/pod${uid}`;
}

/** policy.go GetContainerOOMScoreAdjust. */
export function oomScoreAdj(qos: QOSClass, memoryRequest: number, memoryCapacity: number): number {
  if (qos === 'Guaranteed') return -997;
  if (qos === 'BestEffort') return 1000;
  const adj = 1000 - Math.floor((1000 * memoryRequest) / memoryCapacity);
  if (adj < 3) return 3;
  if (adj >= 1000) return 999;
  return adj;
}

const PAGE = 4096;

/** MemoryQoS (KEP-2570, kuberuntime_container_linux.go): when request ≠ limit,
 *  memory.high = floor((request + 0.9 × (limit or node capacity − request)) / page) × page,
 *  set only when it lies above the request. undefined: no memory.high (Guaranteed memory). */
export function memoryHigh(request: number, limit: number | undefined, capacity: number): number | undefined {
  if (request === limit) return undefined;
  const top = limit ?? capacity;
  const high = Math.floor((request + 0.9 * (top - request)) / PAGE) * PAGE;
  return high > 0 && high > request ? high : undefined;
}

/** A container's cgroup resources: shares from the request, quota from the limit, memory limit;
 *  on cgroup v2 also memory.high where request ≠ limit and memory.oom.group. */
export function containerResources(c: Container, mode: 'v1' | 'v2', memoryCapacity: number): LinuxResources {
  const { requests, limits } = containerAmounts(c);
  const r: LinuxResources = {
    cpu: { shares: milliCPUToShares(requests.cpu ?? 0) },
  };
  if (limits.cpu !== undefined)
    r.cpu = { ...r.cpu, quota: milliCPUToQuota(limits.cpu), period: QUOTA_PERIOD_USEC };
  if (limits.memory !== undefined) r.memory = { limit: limits.memory };
  if (mode === 'v2') {
    const unified: Record<string, string> = { 'memory.oom.group': '1' };
    const high = memoryHigh(requests.memory ?? 0, limits.memory, memoryCapacity);
    if (high !== undefined) unified['memory.high'] = String(high);
    r.unified = unified;
  }
  return r;
}

/** ResourceConfigForPod: shares from the summed requests; quota and memory limit only when
 *  every container has one (init containers count as the max with the app containers' sum). */
export function podResources(pod: Pod, qos: QOSClass): LinuxResources {
  const sum = (cs: Container[]) => {
    let reqCpu = 0;
    let limCpu = 0;
    let limMem = 0;
    let cpuAll = true;
    let memAll = true;
    for (const c of cs) {
      const { requests, limits } = containerAmounts(c);
      reqCpu += requests.cpu ?? 0;
      if (limits.cpu === undefined) cpuAll = false;
      else limCpu += limits.cpu;
      if (limits.memory === undefined) memAll = false;
      else limMem += limits.memory;
    }
    return { reqCpu, limCpu, limMem, cpuAll, memAll };
  };
  const app = sum(pod.spec.containers);
  for (const ic of pod.spec.initContainers ?? []) {
    const i = sum([ic]);
    app.reqCpu = Math.max(app.reqCpu, i.reqCpu);
    if (i.cpuAll) app.limCpu = Math.max(app.limCpu, i.limCpu);
    else app.cpuAll = false;
    if (i.memAll) app.limMem = Math.max(app.limMem, i.limMem);
    else app.memAll = false;
  }
  if (qos === 'BestEffort') return { cpu: { shares: 2 } };
  const r: LinuxResources = { cpu: { shares: milliCPUToShares(app.reqCpu) } };
  if (app.cpuAll) r.cpu = { ...r.cpu, quota: milliCPUToQuota(app.limCpu), period: QUOTA_PERIOD_USEC };
  if (app.memAll) r.memory = { limit: app.limMem };
  return r;
}

/** The pod's effective CPU request (resource.PodRequests): the app containers' sum or the
 *  largest init container, whichever is more. */
export function podCpuRequest(pod: Pod): number {
  let app = 0;
  for (const c of pod.spec.containers) app += containerAmounts(c).requests.cpu ?? 0;
  for (const c of pod.spec.initContainers ?? []) app = Math.max(app, containerAmounts(c).requests.cpu ?? 0);
  return app;
}

/** Sum of the CPU requests of burstable pods: the burstable tier's shares. */
export function burstableShares(pods: Pod[]): number {
  let m = 0;
  for (const p of pods) if (qosClass(p) === 'Burstable') m += podCpuRequest(p);
  return milliCPUToShares(m);
}
