// Server-side printing: objects as a meta.k8s.io Table with the kind's columns. Each row carries
// the object's metadata (PartialObjectMetadata) unless the client asked for includeObject=None.
import { defaultPrinter } from '../resources/print.js';
import type { KObject, ResourceDef } from '../resources/types.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function partialMetadata(o: KObject, version = 'v1') {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: o.metadata };
}

export function toTable(
  def: ResourceDef,
  objects: KObject[],
  opts: {
    include?: IncludeObject;
    version?: string;
    resourceVersion?: string;
    continue?: string;
    noHeaders?: boolean;
  } = {},
) {
  const printer = def.strategy.table ?? defaultPrinter;
  const now = new Date();
  const include = opts.include ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${opts.version ?? 'v1'}`,
    metadata: {
      ...(opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {}),
      ...(opts.continue ? { continue: opts.continue } : {}),
    },
    ...(opts.noHeaders
      ? {}
      : {
          columnDefinitions: printer.columns.map((c) => ({ format: '', description: '', priority: 0, ...c })),
        }),
    rows: objects.map((o) => ({
      cells: printer.cells(o, now),
      ...(include === 'None' ? {} : { object: include === 'Object' ? o : partialMetadata(o, opts.version) }),
    })),
  };
}
