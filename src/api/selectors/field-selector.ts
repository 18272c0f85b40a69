// Field selectors (`fieldSelector=`): comma-separated `field=value`, `field==value`,
// `field!=value` terms, ANDed, with `\` escapes for `\`, `,` and `=` in values
// (apimachinery fields/selector.go). Which fields a resource supports is the server's business:
// it checks `selector.fields()` and answers `field label not supported: ...`.
import { SelectorError } from './errors.js';

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export type FieldGetter = (path: string) => string | undefined;

export class FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}

  get empty(): boolean {
    return this.requirements.length === 0;
  }

  /** The distinct field paths the selector uses. */
  fields(): string[] {
    return [...new Set(this.requirements.map((r) => r.field))];
  }

  /** A missing field reads as "" (Kubernetes' fields.Set semantics). */
  matches(getField: FieldGetter): boolean {
    return this.requirements.every((r) => {
      const v = getField(r.field) ?? '';
      return r.operator === '=' ? v === r.value : v !== r.value;
    });
  }

  /** The value `field` must equal for any match (e.g. `metadata.name`), if the selector pins one. */
  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator === '=')?.value;
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
  }
}

export function escapeFieldValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

/** Undoes escapeFieldValue; rejects unknown escapes and bare special characters, like Kubernetes. */
export function unescapeFieldValue(v: string): string {
  if (!/[\\,=]/.test(v)) return v;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\') {
      const n = v[i + 1];
      if (n === '\\' || n === ',' || n === '=') {
        out += n;
        i++;
        continue;
      }
      throw new SelectorError(`invalid field selector: invalid escape sequence: ${v}`);
    }
    if (c === ',' || c === '=')
      throw new SelectorError(`invalid field selector: unescaped special character: ${v}`);
    out += c;
  }
  return out;
}

/** Splits on commas that are not escaped. */
function splitTerms(text: string): string[] {
  if (text === '') return [];
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text[i + 1]!;
      i++;
    } else if (c === ',') {
      terms.push(cur);
      cur = '';
    } else cur += c;
  }
  terms.push(cur);
  return terms;
}

/** Finds the first unescaped operator; `!=` and `==` win over `=` at the same position. */
function splitTerm(term: string): [string, '=' | '!=', string] | undefined {
  for (let i = 0; i < term.length; i++) {
    const c = term[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (term.startsWith('!=', i)) return [term.slice(0, i), '!=', term.slice(i + 2)];
    if (term.startsWith('==', i)) return [term.slice(0, i), '=', term.slice(i + 2)];
    if (c === '=') return [term.slice(0, i), '=', term.slice(i + 1)];
  }
  return undefined;
}

/** Parses a `fieldSelector=` query value. The empty string selects everything. */
export function parseFieldSelector(text: string): FieldSelector {
  const reqs: FieldRequirement[] = [];
  for (const part of splitTerms(text).sort()) {
    if (part === '') continue;
    const t = splitTerm(part);
    if (t === undefined) throw new SelectorError(`invalid selector: '${text}'; can't understand '${part}'`);
    const [field, operator, raw] = t;
    reqs.push({ field, operator, value: unescapeFieldValue(raw) });
  }
  return new FieldSelector(reqs);
}
