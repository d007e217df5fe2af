/**
 * A canary in every form a careless change could keep it in: plain, JSON-escaped (once, twice,
 * and as `\uXXXX` escapes), base64 and base64url (at each of the three byte alignments it can have
 * inside a longer encoded text), hex (lower and upper case), and UTF-16 (little and big endian).
 *
 * Needles are strings of code units 0–255 for the binary forms, so they match both text decoded as
 * UTF-8 (ASCII canaries) and files read as latin1 (byte for byte).
 */

export interface CanaryForm {
  readonly form: string;
  readonly needle: string;
}

/**
 * The fragments of `base64(prefix + canary + suffix)` that do not depend on the surrounding bytes,
 * for each of the three alignments the canary can start at.
 */
function base64Fragments(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    // Drop the groups that mix in the padding bytes before the canary, and the last group
    // (it mixes in whatever follows the canary, or is padded).
    const start = shift === 0 ? 0 : 4;
    const end = Math.floor((shift + bytes.length) / 3) * 4;
    out.push(encoded.slice(start, end));
  }
  return out;
}

/** Every form of `canary` the scans look for. */
export function canaryForms(canary: string): CanaryForm[] {
  const bytes = Buffer.from(canary, 'utf8');
  const b64 = base64Fragments(bytes);
  const forms: CanaryForm[] = [
    { form: 'plain', needle: canary },
    { form: 'JSON-escaped', needle: JSON.stringify(canary).slice(1, -1) },
    { form: 'JSON-escaped twice', needle: JSON.stringify(JSON.stringify(canary)).slice(3, -3) },
    { form: 'JSON \\u-escaped', needle: [...canary].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('') },
    ...b64.map((needle, i) => ({ form: `base64 (alignment ${i})`, needle })),
    ...b64.map((n, i) => ({ form: `base64url (alignment ${i})`, needle: n.replace(/\+/g, '-').replace(/\//g, '_') })),
    { form: 'hex', needle: bytes.toString('hex') },
    { form: 'HEX', needle: bytes.toString('hex').toUpperCase() },
    { form: 'UTF-16LE', needle: Buffer.from(canary, 'utf16le').toString('latin1') },
    { form: 'UTF-16BE', needle: Buffer.from(canary, 'utf16le').swap16().toString('latin1') },
  ];
  const seen = new Set<string>();
  return forms.filter((f) => f.needle.length >= 8 && !seen.has(f.needle) && seen.add(f.needle));
}

/** The forms of `canary` that occur in `text` (empty when none does). */
export function canaryFormsIn(text: string, canary: string): string[] {
  return canaryForms(canary)
    .filter((f) => text.includes(f.needle))
    .map((f) => f.form);
}
