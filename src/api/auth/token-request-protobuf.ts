// A TokenRequest body in Kubernetes protobuf (what `kubectl create token` sends): the envelope's
// `raw` is authentication.k8s.io/v1 TokenRequest {1 metadata{1 name, 3 namespace}, 2 spec{1
// audiences[], 3 boundObjectRef{1 kind, 2 apiVersion, 3 name, 4 uid}, 4 expirationSeconds}}.
import { ProtobufError, readFields, type WireField } from '../protobuf/wire.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

const str = (f: WireField) => (f.value.wire === 2 ? f.value.bytes.toString('utf8') : '');
const sub = (f: WireField) => (f.value.wire === 2 ? readFields(f.value.bytes) : []);

export function decodeTokenRequestProtobuf(buf: Buffer): Record<string, unknown> {
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC))
    throw new ProtobufError('protobuf body does not start with the Kubernetes magic "k8s\\0"');
  let raw: Buffer | undefined;
  for (const f of readFields(buf.subarray(4))) if (f.field === 2 && f.value.wire === 2) raw = f.value.bytes;
  if (!raw) throw new ProtobufError('protobuf envelope carries no object');
  const metadata: Record<string, string> = {};
  const spec: Record<string, unknown> = {};
  for (const f of readFields(raw)) {
    if (f.field === 1)
      for (const m of sub(f)) {
        if (m.field === 1) metadata.name = str(m);
        if (m.field === 3) metadata.namespace = str(m);
      }
    if (f.field !== 2) continue;
    for (const s of sub(f)) {
      if (s.field === 1) ((spec.audiences ??= []) as string[]).push(str(s));
      if (s.field === 4 && s.value.wire === 0) spec.expirationSeconds = Number(BigInt.asIntN(64, s.value.n));
      if (s.field === 3) {
        const ref: Record<string, string> = {};
        const names = ['', 'kind', 'apiVersion', 'name', 'uid'];
        for (const r of sub(s)) if (names[r.field]) ref[names[r.field]!] = str(r);
        spec.boundObjectRef = ref;
      }
    }
  }
  return { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata, spec };
}
