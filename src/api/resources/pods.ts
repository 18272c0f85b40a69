// core/v1 Pod: defaults, validation and printing as kube-apiserver's pod strategy does them.
import {
  duplicate,
  forbiddenField,
  invalidValue,
  notSupported,
  required,
  type FieldError,
} from '../errors.js';
import { podSchema } from './pod-schema.js';
import { listOrNone, printer, str } from './print.js';
import type { KObject, ResourceDef } from './types.js';
import { nameErrors } from './validation.js';
import { sameJSON } from './canonical.js';

type Obj = Record<string, unknown>;
interface Container extends Obj {
  name?: string;
  image?: string;
  ports?: Obj[];
  resources?: { limits?: Obj; requests?: Obj };
}
interface PodSpec extends Obj {
  containers?: Container[];
  initContainers?: Container[];
  nodeName?: string;
  restartPolicy?: string;
}
interface ContainerStatus {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string };
    terminated?: { reason?: string; exitCode?: number; signal?: number };
    running?: unknown;
  };
}
interface PodStatus extends Obj {
  phase?: string;
  reason?: string;
  podIP?: string;
  nominatedNodeName?: string;
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
  conditions?: Array<{ type?: string; status?: string }>;
}
const spec = (o: KObject) => (o.spec ?? {}) as PodSpec;
const status = (o: KObject) => (o.status ?? {}) as PodStatus;

function defaultContainer(c: Container): void {
  const image = c.image ?? '';
  const tagged = /:[^/]+$/.test(image.split('@')[0] ?? '') || image.includes('@');
  c.imagePullPolicy ??= !tagged || image.endsWith(':latest') ? 'Always' : 'IfNotPresent';
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  const r = c.resources;
  // Requests default to limits, as in core/v1 defaulting.
  if (r.limits && Object.keys(r.limits).length) {
    r.requests = { ...r.limits, ...(r.requests ?? {}) };
  }
  for (const p of c.ports ?? []) p.protocol ??= 'TCP';
}

function qosClass(s: PodSpec): string {
  const all = [...(s.containers ?? []), ...(s.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const lim = c.resources?.limits ?? {};
    const req = c.resources?.requests ?? {};
    if (Object.keys(lim).length || Object.keys(req).length) any = true;
    for (const k of ['cpu', 'memory']) {
      if (lim[k] === undefined || (req[k] !== undefined && req[k] !== lim[k])) guaranteed = false;
    }
  }
  return !any ? 'BestEffort' : guaranteed ? 'Guaranteed' : 'Burstable';
}

function validateContainers(list: Container[] | undefined, field: string, names: Set<string>): FieldError[] {
  const out: FieldError[] = [];
  (list ?? []).forEach((c, i) => {
    const f = `${field}[${i}]`;
    if (!c.name) out.push(required(`${f}.name`));
    else {
      for (const e of nameErrors(c.name, 'label')) out.push(invalidValue(`${f}.name`, c.name, e));
      if (names.has(c.name)) out.push(duplicate(`${f}.name`, c.name));
      names.add(c.name);
    }
    if (!c.image || typeof c.image !== 'string' || !c.image.trim()) out.push(required(`${f}.image`));
    const pullPolicy = c.imagePullPolicy;
    if (pullPolicy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(String(pullPolicy))) {
      out.push(notSupported(`${f}.imagePullPolicy`, pullPolicy, ['Always', 'IfNotPresent', 'Never']));
    }
    (c.ports ?? []).forEach((p, j) => {
      const port = p.containerPort;
      if (typeof port !== 'number' || port < 1 || port > 65535) {
        out.push(
          invalidValue(`${f}.ports[${j}].containerPort`, port ?? 0, 'must be between 1 and 65535, inclusive'),
        );
      }
    });
  });
  return out;
}

// Fields a pod update may change (everything else in spec is immutable), as ValidatePodUpdate.
// Shallow copies with the mutable fields undefined (absent to sameJSON): no clone of the spec.
function mutableSpecView(s: PodSpec): PodSpec {
  const noImage = (list: Container[] | undefined) =>
    Array.isArray(list) ? list.map((x) => ({ ...x, image: undefined })) : list;
  return {
    ...s,
    containers: noImage(s.containers),
    initContainers: noImage(s.initContainers),
    activeDeadlineSeconds: undefined,
    tolerations: undefined,
    terminationGracePeriodSeconds: undefined,
    schedulingGates: undefined,
  } as PodSpec;
}

export function podPhaseReason(o: KObject): string {
  const st = status(o);
  let reason = st.reason || st.phase || 'Pending';
  let initializing = false;
  const inits = st.initContainerStatuses ?? [];
  inits.forEach((c, i) => {
    if (initializing) return;
    const t = c.state?.terminated;
    if (t && t.exitCode === 0) return;
    initializing = true;
    if (t)
      reason = t.reason
        ? `Init:${t.reason}`
        : t.signal
          ? `Init:Signal:${t.signal}`
          : `Init:ExitCode:${t.exitCode}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing')
      reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${(spec(o).initContainers ?? []).length}`;
  });
  if (!initializing) {
    let running = false;
    for (const c of [...(st.containerStatuses ?? [])].reverse()) {
      const w = c.state?.waiting?.reason;
      const t = c.state?.terminated;
      if (w) reason = w;
      else if (t?.reason) reason = t.reason;
      else if (t) reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
      else if (c.ready && c.state?.running) running = true;
    }
    if (reason === 'Completed' && running) {
      const ready = (st.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      reason = ready ? 'Running' : 'NotReady';
    }
  }
  if (o.metadata.deletionTimestamp) reason = st.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

export const pods: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  description: 'Pod is a collection of containers that can run on a host.',
  subresources: {
    status: { kind: 'Pod', verbs: ['get', 'patch', 'update'] },
    binding: { kind: 'Binding', verbs: ['create'] },
    eviction: { kind: 'Eviction', verbs: ['create'], group: 'policy', version: 'v1' },
    log: { kind: 'Pod', verbs: ['get'] },
    exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] },
    attach: { kind: 'PodAttachOptions', verbs: ['create', 'get'] },
    portforward: { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
  },
  schema: podSchema,
  strategy: {
    hasStatus: true,
    bumpsGeneration: true,
    defaults(o) {
      const s = (o.spec ??= {}) as PodSpec;
      s.restartPolicy ??= 'Always';
      s.terminationGracePeriodSeconds ??= 30;
      s.dnsPolicy ??= 'ClusterFirst';
      s.schedulerName ??= 'default-scheduler';
      s.serviceAccountName ??= (s.serviceAccount as string | undefined) ?? 'default';
      s.serviceAccount ??= s.serviceAccountName;
      s.securityContext ??= {};
      s.enableServiceLinks ??= true;
      s.preemptionPolicy ??= 'PreemptLowerPriority';
      s.priority ??= 0;
      for (const c of [...(s.containers ?? []), ...(s.initContainers ?? [])]) defaultContainer(c);
    },
    prepareCreate(o) {
      o.status = { phase: 'Pending', qosClass: qosClass(spec(o)) };
    },
    validate(o, old) {
      const s = spec(o);
      const out: FieldError[] = [];
      if (!Array.isArray(s.containers) || s.containers.length === 0) out.push(required('spec.containers'));
      const names = new Set<string>();
      out.push(...validateContainers(s.containers, 'spec.containers', names));
      out.push(...validateContainers(s.initContainers, 'spec.initContainers', names));
      if (s.restartPolicy && !['Always', 'OnFailure', 'Never'].includes(s.restartPolicy)) {
        out.push(notSupported('spec.restartPolicy', s.restartPolicy, ['Always', 'OnFailure', 'Never']));
      }
      if (old && !sameJSON(mutableSpecView(s), mutableSpecView(spec(old)))) {
        out.push(
          forbiddenField(
            'spec',
            'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
          ),
        );
      }
      return out;
    },
    fields(o) {
      const s = spec(o);
      const st = status(o);
      return {
        'spec.nodeName': s.nodeName ?? '',
        'spec.restartPolicy': s.restartPolicy ?? '',
        'spec.schedulerName': String(s.schedulerName ?? ''),
        'spec.serviceAccountName': String(s.serviceAccountName ?? ''),
        'spec.hostNetwork': String(s.hostNetwork ?? false),
        'status.phase': st.phase ?? '',
        'status.podIP': st.podIP ?? '',
        'status.nominatedNodeName': st.nominatedNodeName ?? '',
      };
    },
    gracefulDelete(o, requested) {
      const phase = status(o).phase;
      if (!spec(o).nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
      return requested ?? (spec(o).terminationGracePeriodSeconds as number | undefined) ?? 30;
    },
    table: printer(
      [
        str(
          'Ready',
          (o) => {
            const cs = status(o).containerStatuses ?? [];
            return `${cs.filter((c) => c.ready).length}/${(spec(o).containers ?? []).length}`;
          },
          'The aggregate readiness state of this pod for accepting traffic.',
        ),
        str('Status', podPhaseReason, 'The aggregate status of the containers in this pod.'),
        str(
          'Restarts',
          (o) => String((status(o).containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0)),
          'The number of times the containers in this pod have been restarted.',
        ),
      ],
      [
        str('IP', (o) => status(o).podIP || '<none>', 'The IP address of the pod.'),
        str('Node', (o) => spec(o).nodeName || '<none>', 'The name of the node the pod runs on.'),
        str(
          'Nominated Node',
          (o) => status(o).nominatedNodeName || '<none>',
          'The node the scheduler nominated.',
        ),
        str(
          'Readiness Gates',
          (o) =>
            listOrNone(((spec(o).readinessGates as Obj[] | undefined) ?? []).map((g) => g.conditionType)),
          'Readiness gates.',
        ),
      ],
    ),
  },
};
