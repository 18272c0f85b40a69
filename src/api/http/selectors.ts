// labelSelector / fieldSelector query parameters → a Matcher for the store, with Kubernetes'
// 400 messages for bad syntax and unsupported fields.
import { badRequest } from '../errors.js';
import { fieldsOf } from '../registry/object.js';
import type { Matcher } from '../registry/options.js';
import type { ResourceDef } from '../resources/types.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from '../selectors/index.js';

export function matcherFor(
  def: ResourceDef,
  labelSelector: string | null,
  fieldSelector: string | null,
): Matcher | undefined {
  const m: Matcher = {};
  try {
    if (labelSelector) {
      const sel = parseLabelSelector(labelSelector);
      if (!sel.empty) m.labels = (l) => sel.matches(l);
    }
    if (fieldSelector) {
      const sel = parseFieldSelector(fieldSelector);
      const supported = new Set(Object.keys(fieldsOf(def, { metadata: {} })));
      for (const f of sel.fields()) {
        if (!supported.has(f)) throw badRequest(`field label not supported: ${f}`);
      }
      if (!sel.empty) m.fields = (fields) => sel.matches((p) => fields[p]);
    }
  } catch (e) {
    if (e instanceof SelectorError) throw badRequest(e.message);
    throw e;
  }
  return m.labels || m.fields ? m : undefined;
}
