// OCI linux.resources.devices rules, normalized for both drivers.
import { CgroupError, type DeviceRule } from './types.js';

export interface NormalRule {
  allow: boolean;
  type: 'a' | 'c' | 'b';
  /** -1: any. */
  major: number;
  minor: number;
  /** Subset of "rwm". */
  access: string;
}

export function normalizeRules(rules: DeviceRule[]): NormalRule[] {
  return rules.map((r, i) => {
    const field = `linux.resources.devices[${i}]`;
    const type = r.type ?? 'a';
    if (!['a', 'c', 'b'].includes(type))
      throw new CgroupError(`${field}.type: ${type}: must be a, c or b`, `${field}.type`, type);
    const num = (v: number | undefined, name: string): number => {
      if (v === undefined || v === -1) return -1;
      if (!Number.isInteger(v) || v < 0 || v > 0xfffff) {
        throw new CgroupError(
          `${field}.${name}: ${v}: must be a device number or -1`,
          `${field}.${name}`,
          String(v),
        );
      }
      return v;
    };
    const access = r.access ?? 'rwm';
    if (!/^[rwm]*$/.test(access)) {
      throw new CgroupError(
        `${field}.access: ${access}: must be made of r, w and m`,
        `${field}.access`,
        access,
      );
    }
    return { allow: r.allow, type, major: num(r.major, 'major'), minor: num(r.minor, 'minor'), access };
  });
}
