/**
 * RFC 3339 timestamps as the coinbase.com actions type carries them (chrono's `parse_from_rfc3339`
 * on read, `%Y-%m-%dT%H:%M:%S%.3fZ` on write), to and from nanoseconds since the epoch. Pure; runs
 * everywhere.
 */

const PATTERN = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Nanoseconds since the epoch, or undefined when `text` is not an RFC 3339 date-time. */
export function parseRfc3339Ns(text: string): bigint | undefined {
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return undefined;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const fraction = BigInt((m[7] ?? '').slice(0, 9).padEnd(9, '0'));
  return (BigInt(ms) - BigInt(offsetMinutes) * 60_000n) * 1_000_000n + fraction;
}

/** `YYYY-MM-DDTHH:MM:SS.sssZ` (sub-millisecond digits dropped, as chrono's `%.3f`), or undefined outside years 0–9999. */
export function formatRfc3339Millis(ns: bigint): string | undefined {
  let ms = ns / 1_000_000n;
  if (ns % 1_000_000n < 0n) ms -= 1n; // floor, not truncate
  const date = new Date(Number(ms));
  const year = date.getUTCFullYear();
  if (Number.isNaN(year) || year < 0 || year > 9999) return undefined;
  return date.toISOString();
}
