// events.k8s.io/v1 Event ↔ core/v1 Event, as Kubernetes converts them: one stored object, two
// representations, so events written either way show in `kubectl get events` and `events`.
import type { KObject } from './types.js';

type Obj = Record<string, unknown>;
const defined = (o: Obj): Obj =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== ''));

export function coreToEventsV1(e: KObject): KObject {
  const src = (e.source ?? {}) as { component?: string; host?: string };
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: e.metadata,
    ...defined({
      eventTime: e.eventTime,
      series: e.series,
      reportingController: e.reportingComponent || src.component,
      reportingInstance: e.reportingInstance || src.host,
      action: e.action,
      reason: e.reason,
      regarding: e.involvedObject,
      related: e.related,
      note: e.message,
      type: e.type,
      deprecatedSource: Object.keys(src).length ? src : undefined,
      deprecatedFirstTimestamp: e.firstTimestamp,
      deprecatedLastTimestamp: e.lastTimestamp,
      deprecatedCount: e.count,
    }),
  };
}

export function eventsV1ToCore(v: KObject): KObject {
  const source =
    (v.deprecatedSource as Obj | undefined) ??
    defined({ component: v.reportingController, host: v.reportingInstance });
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: v.metadata,
    involvedObject: (v.regarding as Obj | undefined) ?? {},
    ...defined({
      reason: v.reason,
      message: v.note,
      source: Object.keys(source).length ? source : undefined,
      firstTimestamp: v.deprecatedFirstTimestamp,
      lastTimestamp: v.deprecatedLastTimestamp,
      count: v.deprecatedCount,
      type: v.type,
      eventTime: v.eventTime,
      series: v.series,
      action: v.action,
      related: v.related,
      reportingComponent: v.reportingController,
      reportingInstance: v.reportingInstance,
    }),
  };
}
