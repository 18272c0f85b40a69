// Label and field selectors for list/watch filtering and LabelSelector-bearing objects.
export { SelectorError } from './errors.js';
export {
  LabelSelector,
  parseLabelSelector,
  newRequirement,
  type LabelOperator,
  type LabelRequirement,
  type Labels,
} from './label-selector.js';
export { labelSelectorFromObject, type LabelSelectorObject } from './label-selector-object.js';
export {
  FieldSelector,
  parseFieldSelector,
  escapeFieldValue,
  unescapeFieldValue,
  type FieldRequirement,
  type FieldGetter,
} from './field-selector.js';
