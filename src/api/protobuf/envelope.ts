// The Kubernetes protobuf request envelope: magic `k8s\0` followed by a runtime.Unknown
// {1 typeMeta{1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType}, where `raw` is the
// typed object. Decode-only: the server always answers in JSON.
import { decodeMessage } from './decode.js';
import { KINDS } from './schema.js';
import { ProtobufError, readFields } from './wire.js';

export const K8S_PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** True for `application/vnd.kubernetes.protobuf` (with or without parameters), not the stream variant. */
export function isK8sProtobuf(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  return contentType.split(';')[0]!.trim().toLowerCase() === K8S_PROTOBUF;
}

export function supportedProtobufKinds(): string[] {
  return [...KINDS.keys()].map((k) => k.split('/')[1]!);
}

function unsupported(what: string): ProtobufError {
  return new ProtobufError(
    `${what}; protobuf request bodies are supported for ${supportedProtobufKinds().join(', ')}; send JSON`,
  );
}

/** Decodes a protobuf request body into the JSON object (with apiVersion and kind) Kubernetes would have. */
export function decodeK8sProtobuf(buf: Buffer): Record<string, unknown> {
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC))
    throw new ProtobufError('protobuf body does not start with the Kubernetes magic "k8s\\0"');
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = Buffer.alloc(0);
  let contentEncoding = '';
  for (const f of readFields(buf.subarray(4))) {
    if (f.value.wire !== 2) continue;
    if (f.field === 1) {
      for (const t of readFields(f.value.bytes)) {
        if (t.value.wire !== 2) continue;
        if (t.field === 1) apiVersion = t.value.bytes.toString('utf8');
        else if (t.field === 2) kind = t.value.bytes.toString('utf8');
      }
    } else if (f.field === 2) raw = f.value.bytes;
    else if (f.field === 3) contentEncoding = f.value.bytes.toString('utf8');
  }
  if (contentEncoding !== '')
    throw new ProtobufError(`protobuf contentEncoding "${contentEncoding}" is not supported`);
  if (kind === '' || apiVersion === '') throw unsupported('protobuf envelope has no apiVersion/kind');
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const msg = KINDS.get(`${group}/${kind}`);
  if (msg === undefined) throw unsupported(`cannot decode ${kind} (${apiVersion}) from protobuf`);
  return { apiVersion, kind, ...decodeMessage(raw, msg, kind) };
}
