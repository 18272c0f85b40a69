// metav1.LabelSelector matching for policy evaluation. The API layer has a richer selector module,
// but the network layer may not import from it (layering), and evaluation needs only this much.
import type { LabelSelector } from './types.js';

/**
 * True when `labels` satisfy every matchLabels entry and every matchExpressions requirement.
 * An empty selector (`{}`) matches everything; null/undefined matches nothing, as in Kubernetes.
 * An unknown operator matches nothing: validation reports it, evaluation must not widen access.
 */
export function selectorMatches(
  sel: LabelSelector | null | undefined,
  labels: Record<string, string>,
): boolean {
  if (sel === null || sel === undefined) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(labels[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
