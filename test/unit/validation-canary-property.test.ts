/**
 * Validation errors never quote request content (policy §2), as a property (fast-check): a marker
 * string — printable, unicode, or with JSON and regex metacharacters — placed as a value or a key
 * anywhere a client can put text in a chat request is never part of the error the client gets back,
 * which is also what a log line of a rejected request could carry.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chatRequestSchema, validate } from '../../lambdas/domain/chat-request';
import { RouterError } from '../../lambdas/domain/errors';
import { httpErrorOf } from '../../lambdas/handlers/http-errors';

type Body = Record<string, unknown>;
const ok = (): Body => ({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });

const LOGIT_BIAS_KEY = (m: string): Body => ({ ...ok(), logit_bias: { [m]: 'x' } });

/** Where a client can put text: each function returns a request body with `m` in one place. */
const PLACEMENTS: ReadonlyArray<(m: string) => Body> = [
  (m) => ({ ...ok(), messages: [{ role: m, content: 'hi' }] }),
  (m) => ({ ...ok(), messages: [{ role: 'user', content: [{ type: m, text: m }] }] }),
  (m) => ({ ...ok(), messages: [{ role: 'user', content: 7, [m]: m }] }),
  (m) => ({
    ...ok(),
    messages: [{ role: 'assistant', content: null, tool_calls: [{ id: m, type: m, function: { name: m, arguments: 1 } }] }],
  }),
  (m) => ({ ...ok(), model: 42, stop: m }),
  (m) => ({ ...ok(), temperature: m }),
  (m) => ({ ...ok(), response_format: { type: m } }),
  (m) => ({ ...ok(), tools: [{ type: 'function', function: { name: `${m} has spaces`, description: m } }] }),
  (m) => ({ ...ok(), tools: [{ type: m, function: { name: 'f' } }] }),
  (m) => ({ ...ok(), tool_choice: { type: 'function', function: { name: 7, [m]: m } } }),
  (m) => ({ ...ok(), provider: { [m]: 1 } }),
  (m) => ({ ...ok(), provider: { order: [m, 7] } }),
  LOGIT_BIAS_KEY,
  (m) => ({ ...ok(), models: [m, 7] }),
  (m) => ({ ...ok(), messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: m } }] }] }),
  (m) => ({ ...ok(), stream_options: { include_usage: m } }),
  (m) => ({ ...ok(), [m]: { [m]: m }, n: m }),
];

/** A marker long and distinctive enough that it cannot occur in a message by chance. */
const marker = fc
  .tuple(fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }), fc.stringMatching(/^[a-z0-9]{10}$/))
  .map(([s, id]) => `Q${id}${s}Z${id}`);

describe('validation errors never quote the request (property)', () => {
  it('a marker anywhere in a rejected chat request is never in the error returned', () => {
    let rejected = 0;
    fc.assert(
      fc.property(fc.nat(PLACEMENTS.length - 1), marker, (i, m) => {
        let error: unknown;
        try {
          validate(chatRequestSchema, PLACEMENTS[i]!(m));
        } catch (e) {
          error = e;
        }
        if (error === undefined) return;
        rejected++;
        expect(error).toBeInstanceOf(RouterError);
        const e = error as RouterError;
        expect(httpErrorOf(e).body).not.toContain(m);
        expect(e.message).not.toContain(m);
      }),
      // Always tried first: an identifier-like logit_bias key, once echoed as part of the parameter path.
      { numRuns: 1000, examples: [[PLACEMENTS.indexOf(LOGIT_BIAS_KEY), 'Qabcd012345Zabcd012345']] },
    );
    // Most placements are invalid requests: the property was exercised, not vacuously true.
    expect(rejected).toBeGreaterThan(500);
  });
});
