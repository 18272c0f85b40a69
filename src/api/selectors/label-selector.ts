// Label selectors: the `labelSelector=` query grammar of apimachinery's labels/selector.go
// (equality- and set-based, comma = AND) and the matching rules. Parse errors carry Kubernetes'
// messages, so a 400 reads like the real API server's.
import { SelectorError } from './errors.js';
import { validateLabelKey, validateLabelValue } from './validation.js';

export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  /** Sorted and deduplicated, as Kubernetes stores them. */
  values: string[];
}

export type Labels = Readonly<Record<string, string>> | undefined | null;

export class LabelSelector {
  /** `nothing` selects no object at all (a nil LabelSelector object); otherwise all requirements AND. */
  constructor(
    readonly requirements: readonly LabelRequirement[],
    readonly nothing = false,
  ) {}

  /** True for the empty selector, which selects every object. */
  get empty(): boolean {
    return !this.nothing && this.requirements.length === 0;
  }

  matches(labels: Labels): boolean {
    if (this.nothing) return false;
    const l = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, l));
  }

  /** The canonical text form (requirements sorted by key), as Kubernetes prints selectors. */
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

function requirementMatches(r: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels[r.key]! : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return v !== undefined && r.values.includes(v);
    case 'notin':
    case '!=':
      return v === undefined || !r.values.includes(v);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (v === undefined || !/^-?\d+$/.test(v)) return false;
      const lv = BigInt(v);
      const rv = BigInt(r.values[0]!);
      return r.operator === 'gt' ? lv > rv : lv < rv;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    default:
      return `${r.key}${r.operator}${r.values[0]}`;
  }
}

/** Builds one requirement with Kubernetes' checks (labels.NewRequirement). */
export function newRequirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  validateLabelKey(key);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0)
        throw new SelectorError("for 'in', 'notin' operators, values set can't be empty");
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) throw new SelectorError('exact-match compatibility requires one single value');
      break;
    case 'exists':
    case '!':
      if (values.length !== 0)
        throw new SelectorError('values set must be empty for exists and does not exist');
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1 || !/^-?\d+$/.test(values[0]!))
        throw new SelectorError(
          "for 'Gt', 'Lt' operators, exactly one value is required and it must be an integer",
        );
      break;
  }
  if (operator !== 'gt' && operator !== 'lt') for (const v of values) validateLabelValue(key, v);
  return { key, operator, values: [...new Set(values)].sort() };
}

export function sortRequirements(reqs: LabelRequirement[]): LabelRequirement[] {
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// ---- lexer ----

type Tok = 'id' | 'in' | 'notin' | '!' | '!=' | '=' | '==' | '>' | '<' | '(' | ')' | ',' | 'end' | 'error';
interface Token {
  tok: Tok;
  lit: string;
}

const SPECIAL = '=!(),><';
const SYMBOLS: Record<string, Tok> = {
  '!': '!',
  '!=': '!=',
  '(': '(',
  ')': ')',
  ',': ',',
  '=': '=',
  '==': '==',
  '>': '>',
  '<': '<',
};

function lex(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
  for (;;) {
    while (i < input.length && isSpace(input[i]!)) i++;
    if (i >= input.length) {
      out.push({ tok: 'end', lit: '' });
      return out;
    }
    const c = input[i]!;
    if (SPECIAL.includes(c)) {
      // Longest match among the symbols.
      let lit = c;
      i++;
      while (i < input.length && SYMBOLS[lit + input[i]!] !== undefined) lit += input[i++]!;
      out.push({ tok: SYMBOLS[lit] ?? 'error', lit });
      continue;
    }
    let lit = '';
    while (i < input.length && !isSpace(input[i]!) && !SPECIAL.includes(input[i]!)) lit += input[i++]!;
    out.push({ tok: lit === 'in' ? 'in' : lit === 'notin' ? 'notin' : 'id', lit });
  }
}

// ---- parser ----

class Parser {
  private pos = 0;
  constructor(private readonly toks: Token[]) {}

  /** In a value position the keywords `in`/`notin` are plain identifiers. */
  private peek(values: boolean): Token {
    const t = this.toks[Math.min(this.pos, this.toks.length - 1)]!;
    return values && (t.tok === 'in' || t.tok === 'notin') ? { tok: 'id', lit: t.lit } : t;
  }
  private next(values: boolean): Token {
    const t = this.peek(values);
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const t = this.peek(true);
      if (t.tok === 'id' || t.tok === '!') {
        let r: LabelRequirement;
        try {
          r = this.requirement();
        } catch (e) {
          if (e instanceof SelectorError)
            throw new SelectorError(`unable to parse requirement: ${e.message}`);
          throw e;
        }
        reqs.push(r);
        const sep = this.next(true);
        if (sep.tok === 'end') return reqs;
        if (sep.tok !== ',') throw new SelectorError(`found '${sep.lit}', expected: ',' or 'end of string'`);
        const after = this.peek(true);
        if (after.tok !== 'id' && after.tok !== '!')
          throw new SelectorError(`found '${after.lit}', expected: identifier after ','`);
      } else if (t.tok === 'end') {
        return reqs;
      } else {
        throw new SelectorError(`found '${t.lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private requirement(): LabelRequirement {
    let t = this.next(true);
    let notExists = false;
    if (t.tok === '!') {
      notExists = true;
      t = this.next(true);
    }
    if (t.tok !== 'id') throw new SelectorError(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    validateLabelKey(key);
    const la = this.peek(true).tok;
    if (la === 'end' || la === ',') return newRequirement(key, notExists ? '!' : 'exists', []);
    if (notExists) {
      const bad = this.peek(true);
      throw new SelectorError(`found '${bad.lit}', expected: ',' or 'end of string'`);
    }
    const op = this.operator();
    if (op === 'in' || op === 'notin') return newRequirement(key, op, this.valueSet());
    const v = this.peek(true);
    let value = '';
    if (v.tok === 'id') {
      value = this.next(true).lit;
    } else if (v.tok !== 'end' && v.tok !== ',') {
      throw new SelectorError(`found '${v.lit}', expected: identifier`);
    }
    return newRequirement(key, op, [value]);
  }

  private operator(): LabelOperator {
    const t = this.next(false);
    switch (t.tok) {
      case '=':
      case '==':
      case '!=':
      case 'in':
      case 'notin':
        return t.tok;
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        throw new SelectorError(`found '${t.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  private valueSet(): string[] {
    const open = this.next(true);
    if (open.tok !== '(') throw new SelectorError(`found '${open.lit}', expected: '('`);
    const la = this.peek(true);
    if (la.tok === ')') {
      this.next(true);
      return [''];
    }
    if (la.tok !== 'id' && la.tok !== ',')
      throw new SelectorError(`found '${la.lit}', expected: ',', ')' or identifier`);
    const values: string[] = [];
    let expectValue = true;
    for (;;) {
      const t = this.next(true);
      if (t.tok === 'id') {
        if (!expectValue) throw new SelectorError(`found '${t.lit}', expected: ',' or ')'`);
        values.push(t.lit);
        expectValue = false;
      } else if (t.tok === ',') {
        if (expectValue) values.push(''); // `(a,,b)` and `(,a)` carry an empty value, as in Kubernetes
        expectValue = true;
      } else if (t.tok === ')') {
        if (expectValue) values.push('');
        return values;
      } else {
        throw new SelectorError(`found '${t.lit}', expected: ',', or ')'`);
      }
    }
  }
}

/** Parses a `labelSelector=` query value. The empty string selects everything. */
export function parseLabelSelector(text: string): LabelSelector {
  const reqs = new Parser(lex(text)).parse();
  return new LabelSelector(sortRequirements(reqs));
}
