// core/v1 Event and events.k8s.io/v1 Event: one stored object (core/v1), two representations.
import { required, type FieldError } from '../errors.js';
import { define } from './define.js';
import { coreToEventsV1, eventsV1ToCore } from './event-conversion.js';
import { age, nameColumn } from './print.js';
import { obj, type Schema } from './schema.js';
import type { KObject } from './types.js';

const ref: Schema = obj({
  kind: 'string',
  namespace: 'string',
  name: 'string',
  uid: 'string',
  apiVersion: 'string',
  resourceVersion: 'string',
  fieldPath: 'string',
});
const series: Schema = obj({ count: 'integer', lastObservedTime: 'time' });
type Ev = {
  involvedObject?: Record<string, string>;
  regarding?: Record<string, string>;
  type?: string;
  reason?: string;
  message?: string;
  note?: string;
};

export const events = define({
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  namespaced: true,
  shortNames: ['ev'],
  description: 'Event is a report of an event somewhere in the cluster.',
  schema: {
    involvedObject: ref,
    reason: 'string',
    message: 'string',
    source: obj({ component: 'string', host: 'string' }),
    firstTimestamp: 'time',
    lastTimestamp: 'time',
    count: 'integer',
    type: 'string',
    eventTime: 'time',
    series,
    action: 'string',
    related: ref,
    reportingComponent: 'string',
    reportingInstance: 'string',
  },
  strategy: {
    validate(o) {
      const out: FieldError[] = [];
      const io = (o as Ev).involvedObject;
      if (!io) out.push(required('involvedObject'));
      return out;
    },
    fields(o) {
      const e = o as KObject & Ev;
      const io = e.involvedObject ?? {};
      const f: Record<string, string> = {
        reason: e.reason ?? '',
        type: e.type ?? '',
        source: String((o.source as { component?: string } | undefined)?.component ?? ''),
        reportingComponent: String(o.reportingComponent ?? ''),
      };
      for (const k of ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'])
        f[`involvedObject.${k}`] = io[k] ?? '';
      return f;
    },
    table: {
      columns: [
        {
          name: 'Last Seen',
          type: 'string',
          format: '',
          description: 'Time since the event was last seen.',
          priority: 0,
        },
        { name: 'Type', type: 'string', format: '', description: 'Type of the event.', priority: 0 },
        { name: 'Reason', type: 'string', format: '', description: 'Reason of the event.', priority: 0 },
        {
          name: 'Object',
          type: 'string',
          format: '',
          description: 'The object this event is about.',
          priority: 0,
        },
        { name: 'Message', type: 'string', format: '', description: 'Message of the event.', priority: 0 },
        {
          name: 'Subobject',
          type: 'string',
          format: '',
          description: 'Field path within the object.',
          priority: 1,
        },
        {
          name: 'Source',
          type: 'string',
          format: '',
          description: 'Component that reported the event.',
          priority: 1,
        },
        {
          name: 'First Seen',
          type: 'string',
          format: '',
          description: 'Time since the event was first seen.',
          priority: 1,
        },
        { name: 'Count', type: 'string', format: '', description: 'Number of occurrences.', priority: 1 },
        { ...nameColumn, priority: 1 },
      ],
      cells(o, now) {
        const e = o as KObject &
          Ev & { lastTimestamp?: string; firstTimestamp?: string; eventTime?: string; count?: number };
        const io = e.involvedObject ?? {};
        const last = e.lastTimestamp || e.eventTime || o.metadata.creationTimestamp;
        const first = e.firstTimestamp || e.eventTime || o.metadata.creationTimestamp;
        const src = (o.source as { component?: string; host?: string } | undefined) ?? {};
        return [
          age(last, now),
          e.type ?? '',
          e.reason ?? '',
          `${(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`,
          (e.message ?? '').trim(),
          io.fieldPath ?? '',
          [src.component, src.host].filter(Boolean).join(', '),
          age(first, now),
          String(e.count ?? 1),
          o.metadata.name,
        ];
      },
    },
  },
});

export const eventsV1 = define({
  group: 'events.k8s.io',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  namespaced: true,
  shortNames: ['ev'],
  description: 'Event is a report of an event somewhere in the cluster.',
  schema: {
    eventTime: 'time',
    series,
    reportingController: 'string',
    reportingInstance: 'string',
    action: 'string',
    reason: 'string',
    regarding: ref,
    related: ref,
    note: 'string',
    type: 'string',
    deprecatedSource: obj({ component: 'string', host: 'string' }),
    deprecatedFirstTimestamp: 'time',
    deprecatedLastTimestamp: 'time',
    deprecatedCount: 'integer',
  },
  storedAs: { def: events, toStored: eventsV1ToCore, fromStored: coreToEventsV1 },
  strategy: {
    fields(o) {
      const r = (o as Ev).regarding ?? {};
      const f: Record<string, string> = {
        reason: String(o.reason ?? ''),
        type: String(o.type ?? ''),
        reportingController: String(o.reportingController ?? ''),
      };
      for (const k of ['kind', 'namespace', 'name', 'uid', 'apiVersion']) f[`regarding.${k}`] = r[k] ?? '';
      return f;
    },
  },
});
