// metav1.LabelSelector objects ({matchLabels, matchExpressions}), as NetworkPolicy, ClusterRole
// aggregation and workload selectors carry them (metav1.LabelSelectorAsSelector).
import { SelectorError } from './errors.js';
import { LabelSelector, newRequirement, sortRequirements, type LabelRequirement } from './label-selector.js';

export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] | null }> | null;
}

const OPS: Record<string, LabelRequirement['operator']> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/**
 * Converts a LabelSelector object. A null/undefined selector selects nothing; an empty one (`{}`)
 * selects everything — the Kubernetes rule. `field` prefixes error messages (e.g. `spec.podSelector`).
 */
export function labelSelectorFromObject(
  obj: LabelSelectorObject | null | undefined,
  field = 'selector',
): LabelSelector {
  if (obj === null || obj === undefined) return new LabelSelector([], true);
  if (typeof obj !== 'object' || Array.isArray(obj))
    throw new SelectorError(`${field}: must be an object with matchLabels and/or matchExpressions`);
  const reqs: LabelRequirement[] = [];
  const ml = obj.matchLabels ?? {};
  if (typeof ml !== 'object' || Array.isArray(ml))
    throw new SelectorError(`${field}.matchLabels: must be a map of string keys to string values`);
  for (const [k, v] of Object.entries(ml)) {
    if (typeof v !== 'string') throw new SelectorError(`${field}.matchLabels.${k}: value must be a string`);
    reqs.push(newRequirement(k, '=', [v]));
  }
  const exprs = obj.matchExpressions ?? [];
  if (!Array.isArray(exprs)) throw new SelectorError(`${field}.matchExpressions: must be a list`);
  exprs.forEach((e, i) => {
    const at = `${field}.matchExpressions[${i}]`;
    if (e === null || typeof e !== 'object') throw new SelectorError(`${at}: must be an object`);
    const op = OPS[e.operator];
    if (op === undefined)
      throw new SelectorError(`"${String(e.operator)}" is not a valid label selector operator`);
    const values = e.values ?? [];
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string'))
      throw new SelectorError(`${at}.values: must be a list of strings`);
    reqs.push(newRequirement(String(e.key), op, values));
  });
  return new LabelSelector(sortRequirements(reqs));
}
