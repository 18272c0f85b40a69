// The pod status as Kubernetes reports it: phase, conditions, and per container its state
// (waiting / running / terminated with reason), lastState, ready, started and restartCount.
import type { ContainerState, ContainerStatus, Pod, PodCondition, PodPhase, PodStatus } from './types.js';
import type { QOSClass } from './qos.js';
import type { ContainerRecord } from './store.js';

export interface ContainerView {
  name: string;
  image: string;
  init: boolean;
  rec: ContainerRecord;
  waiting?: { reason: string; message?: string };
  ready: boolean;
  started: boolean;
  /** The container will not be started again (policy, or the pod is done). */
  final: boolean;
}

function containerStatus(v: ContainerView): ContainerStatus {
  const { rec } = v;
  let state: ContainerState;
  let last: ContainerState = {};
  if (rec.current) {
    state = { running: { startedAt: rec.current.startedAt } };
    if (rec.lastTerminated) last = { terminated: rec.lastTerminated };
  } else if (v.waiting) {
    state = { waiting: v.waiting };
    if (rec.lastTerminated) last = { terminated: rec.lastTerminated };
  } else if (rec.lastTerminated && (v.final || rec.done)) {
    state = { terminated: rec.lastTerminated };
    if (rec.prevTerminated) last = { terminated: rec.prevTerminated };
  } else {
    state = { waiting: { reason: v.init ? 'PodInitializing' : 'ContainerCreating' } };
    if (rec.lastTerminated) last = { terminated: rec.lastTerminated };
  }
  return {
    name: v.name,
    image: v.image,
    ...(rec.current ? { containerID: `corral://${rec.current.id}` } : {}),
    state,
    lastState: last,
    ready: !!rec.current && v.ready,
    started: !!rec.current && v.started,
    restartCount: rec.restartCount,
  };
}

export interface PodFacts {
  qos: QOSClass;
  startTime: string;
  initFailed: boolean;
  /** Evicted under node pressure: Failed, whatever the containers did. */
  evicted?: boolean;
  hostIP?: string;
  /** The pod's addresses, IPv4 first (status.podIP is the first). */
  podIPs?: string[];
  message?: string;
  reason?: string;
}

export function podStatus(pod: Pod, views: ContainerView[], f: PodFacts): PodStatus {
  const inits = views.filter((v) => v.init);
  const apps = views.filter((v) => !v.init);
  const initialized = inits.every((v) => v.rec.done);
  const containersReady = apps.every((v) => !!v.rec.current && v.ready);
  let phase: PodPhase;
  if (f.initFailed || f.evicted) phase = 'Failed';
  else if (!initialized) phase = 'Pending';
  else if (apps.every((v) => v.final && v.rec.lastTerminated))
    phase = apps.every((v) => v.rec.lastTerminated!.exitCode === 0) ? 'Succeeded' : 'Failed';
  else if (apps.some((v) => v.rec.current || v.rec.lastTerminated)) phase = 'Running';
  else phase = 'Pending';
  const cond = (type: PodCondition['type'], ok: boolean, reason?: string): PodCondition => ({
    type,
    status: ok ? 'True' : 'False',
    ...(!ok && reason ? { reason } : {}),
  });
  const done = phase === 'Succeeded' || phase === 'Failed';
  return {
    phase,
    conditions: [
      cond('PodScheduled', true),
      cond('Initialized', initialized, 'ContainersNotInitialized'),
      cond('ContainersReady', containersReady, done ? 'PodCompleted' : 'ContainersNotReady'),
      cond('Ready', containersReady, done ? 'PodCompleted' : 'ContainersNotReady'),
      // The kubelet marks pods it terminates under node pressure (KEP-3329).
      ...(f.evicted
        ? [
            {
              type: 'DisruptionTarget' as const,
              status: 'True' as const,
              reason: 'TerminationByKubelet',
              ...(f.message ? { message: f.message } : {}),
            },
          ]
        : []),
    ],
    qosClass: f.qos,
    ...(f.hostIP ? { hostIP: f.hostIP } : {}),
    ...(f.podIPs?.length ? { podIP: f.podIPs[0], podIPs: f.podIPs.map((ip) => ({ ip })) } : {}),
    startTime: f.startTime,
    ...(f.reason ? { reason: f.reason } : {}),
    ...(f.message ? { message: f.message } : {}),
    initContainerStatuses: inits.map(containerStatus),
    containerStatuses: apps.map(containerStatus),
  };
}
