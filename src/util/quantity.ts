// Kubernetes resource quantities ("64Mi", "1.5G", "500m") as numbers. Used for memory sizes on the
// command line and, later, for Pod resources.

const SUFFIX: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  m: 1e-3,
};

export class QuantityError extends Error {}

/** Parse a quantity; `field` names the flag or field in the error. */
export function parseQuantity(text: string, field: string): number {
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(text.trim());
  const mult = m ? SUFFIX[m[2] ?? ''] : undefined;
  if (!m || mult === undefined) {
    throw new QuantityError(
      `${field}: "${text}" is not a quantity; use e.g. 64Mi, 1Gi, 500M or a plain number`,
    );
  }
  return Number(m[1]) * mult;
}

/** Parse a byte size: a whole, non-negative number of bytes. */
export function parseBytes(text: string, field: string): number {
  const n = parseQuantity(text, field);
  if (n < 0 || !Number.isFinite(n))
    throw new QuantityError(`${field}: "${text}" must be a non-negative size`);
  return Math.ceil(n);
}
