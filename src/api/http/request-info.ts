// Parses an API path the way Kubernetes' RequestInfoFactory does:
// /api/v1/namespaces/NS/pods/NAME/SUB and /apis/GROUP/VERSION/..., plus the verb.
export interface ResourceRequest {
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'connect';
}

// Subresources of a namespace itself: /api/v1/namespaces/NS/status is not a kind called status.
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** Path segments after /api/v1 or /apis/g/v, or undefined when this is not a resource path. */
export function parseResourcePath(
  pathname: string,
  method: string,
  watchParam: boolean,
): ResourceRequest | undefined {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group = '';
  let version: string | undefined;
  let rest: string[];
  if (parts[0] === 'api') {
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    group = parts[1] ?? '';
    version = parts[2];
    rest = parts.slice(3);
  } else return undefined;
  if (!version || rest.length === 0) return undefined;
  let namespace = '';
  let watch = watchParam;
  if (rest[0] === 'watch') {
    // Deprecated /watch/ paths still used by some clients.
    watch = true;
    rest = rest.slice(1);
  }
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1]!;
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const [resource = '', name = '', subresource = '', ...extra] = rest;
  if (extra.length && subresource !== 'proxy') return undefined;
  // For namespaces themselves the "namespace" is the object's name.
  if (resource === 'namespaces' && name) namespace = '';
  let verb: ResourceRequest['verb'];
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = name ? (watch ? 'watch' : 'get') : watch ? 'watch' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      verb = 'connect';
  }
  return { group, version, namespace, resource, name, subresource, verb };
}
