// Date.prototype.toISOString loads the local time zone on its first call (V8 asks ICU, which
// reads /etc/localtime), ~1 ms of a CLI start here, for a string that is UTC anyway. This formats
// the UTC calendar date by arithmetic (days to civil date: H. Hinnant's algorithm).

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** new Date(ms).toISOString(), for the years 1970-9999 (Date for any other). */
export function isoTime(ms: number = Date.now()): string {
  if (!(ms >= 0 && ms < 253402300800000)) return new Date(ms).toISOString();
  const days = Math.floor(ms / 86400000);
  let t = ms - days * 86400000;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const h = Math.floor(t / 3600000);
  t -= h * 3600000;
  const m = Math.floor(t / 60000);
  t -= m * 60000;
  const s = Math.floor(t / 1000);
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(h)}:${pad(m)}:${pad(s)}.${pad(t - s * 1000, 3)}Z`;
}
