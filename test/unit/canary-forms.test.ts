/**
 * The canary scans find a canary however it was encoded: the detector is tested on blobs that hold
 * the canary at every byte offset, in each encoding a careless change could store or log it in.
 */
import { describe, expect, it } from 'vitest';
import { canaryFormsIn } from '../helpers/canary-forms';

const CANARY = 'CANARY-0f3c-detector-never-store-me';

const encodings: Array<[string, (b: Buffer) => string]> = [
  ['base64', (b) => b.toString('base64')],
  ['base64url', (b) => b.toString('base64url')],
  ['hex', (b) => b.toString('hex')],
  ['HEX', (b) => b.toString('hex').toUpperCase()],
  ['UTF-16LE', (b) => Buffer.from(b.toString('utf8'), 'utf16le').toString('latin1')],
  ['UTF-16BE', (b) => Buffer.from(b.toString('utf8'), 'utf16le').swap16().toString('latin1')],
  ['JSON-escaped twice', (b) => JSON.stringify(JSON.stringify({ messages: [{ content: b.toString('utf8') }] }))],
  ['JSON \\u-escaped', (b) => [...b.toString('utf8')].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')],
];

describe('canary forms', () => {
  it.each(encodings)('finds the canary %s-encoded inside a longer text, at every offset', (_name, encode) => {
    for (let offset = 0; offset < 6; offset++) {
      const blob = Buffer.from(`${'x'.repeat(offset)}{"messages":[{"role":"user","content":"hi ${CANARY} there"}]}`, 'utf8');
      expect(canaryFormsIn(encode(blob), CANARY), `offset ${offset}`).not.toEqual([]);
    }
  });

  it('finds nothing in text without the canary', () => {
    const blob = Buffer.from('{"messages":[{"role":"user","content":"an ordinary prompt about the weather in Zurich"}]}');
    for (const [, encode] of encodings.slice(0, 6)) expect(canaryFormsIn(encode(blob), CANARY)).toEqual([]);
  });
});
