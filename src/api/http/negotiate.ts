// Content negotiation: which representation a client asked for (Accept) and which it sent.
export interface MediaType {
  type: string;
  params: Record<string, string>;
}

export function parseMediaTypes(header: string | undefined): MediaType[] {
  if (!header) return [];
  return header.split(',').map((part) => {
    const [type = '', ...ps] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of ps) {
      const i = p.indexOf('=');
      if (i > 0) params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim();
    }
    return { type: type.toLowerCase(), params };
  });
}

export type Representation =
  | { as: 'object' }
  | { as: 'Table'; version: 'v1' | 'v1beta1' }
  | { as: 'PartialObjectMetadata' | 'PartialObjectMetadataList'; version: 'v1' | 'v1beta1' };

/** The first acceptable representation, in the client's order, as kube-apiserver picks it. */
export function pickRepresentation(accept: string | undefined): Representation {
  for (const m of parseMediaTypes(accept)) {
    const as = m.params.as;
    if (!as) {
      if (m.type === 'application/json' || m.type === '*/*' || m.type === 'application/*')
        return { as: 'object' };
      continue;
    }
    if (m.params.g !== 'meta.k8s.io' || !['v1', 'v1beta1'].includes(m.params.v ?? '')) continue;
    const version = m.params.v as 'v1' | 'v1beta1';
    if (as === 'Table') return { as: 'Table', version };
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { as, version };
  }
  return { as: 'object' };
}

export const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const AGGREGATED_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

/** The aggregated-discovery content type the client accepts first, if any. */
export function wantsAggregated(accept: string | undefined): string | undefined {
  for (const m of parseMediaTypes(accept)) {
    if (m.params.as === 'APIGroupDiscoveryList' && m.params.g === 'apidiscovery.k8s.io') {
      if (m.params.v === 'v2') return AGGREGATED_V2;
      if (m.params.v === 'v2beta1') return AGGREGATED_V2BETA1;
    }
    if (!m.params.as && (m.type === 'application/json' || m.type === '*/*')) return undefined;
  }
  return undefined;
}

export const mediaType = (contentType: string | undefined) =>
  (contentType ?? '').split(';')[0]!.trim().toLowerCase();
