// Pod bandwidth annotations → the CNI "bandwidth" capability, as kubelet/containerd do: the
// annotation is a quantity in bits per second ("10M" = 10 Mbit/s), between 1k and 1P, and the
// burst is the maximum (containerd sends MaxUint32: shaping by rate, no burst limit to tune).
import { parseQuantity, QuantityError } from '../../util/quantity.js';
import type { BandwidthEntry } from './attachment.js';
import { CniConfigError } from './errors.js';

export const INGRESS_ANNOTATION = 'kubernetes.io/ingress-bandwidth';
export const EGRESS_ANNOTATION = 'kubernetes.io/egress-bandwidth';

const MIN_RATE = 1e3;
const MAX_RATE = 1e15;
const MAX_BURST = 4294967295;

/** The bandwidth capability for a pod's annotations; undefined when neither annotation is set. */
export function bandwidthFromAnnotations(
  annotations: Record<string, string> | undefined,
): BandwidthEntry | undefined {
  const ingress = rate(annotations, INGRESS_ANNOTATION);
  const egress = rate(annotations, EGRESS_ANNOTATION);
  if (ingress === undefined && egress === undefined) return undefined;
  const bw: BandwidthEntry = {};
  if (ingress !== undefined) Object.assign(bw, { ingressRate: ingress, ingressBurst: MAX_BURST });
  if (egress !== undefined) Object.assign(bw, { egressRate: egress, egressBurst: MAX_BURST });
  return bw;
}

function rate(annotations: Record<string, string> | undefined, key: string): number | undefined {
  const text = annotations?.[key];
  if (text === undefined) return undefined;
  const field = `metadata.annotations["${key}"]`;
  let n: number;
  try {
    n = parseQuantity(text, field);
  } catch (e) {
    if (!(e instanceof QuantityError)) throw e;
    throw new CniConfigError(field, `"${text}" is not a quantity; use bits per second like 10M or 500k`);
  }
  if (!Number.isFinite(n) || n < MIN_RATE)
    throw new CniConfigError(field, `"${text}" is unreasonably small (< 1k bits per second); use e.g. 10M`);
  if (n > MAX_RATE)
    throw new CniConfigError(field, `"${text}" is unreasonably large (> 1P bits per second); use e.g. 10G`);
  return Math.ceil(n);
}
