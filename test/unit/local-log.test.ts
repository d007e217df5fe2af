/**
 * The person-readable local log (lambdas/local/request-log.ts), `npm start`'s environment checks
 * (start-options.ts) and the mock provider's rough tokenizer.
 */
import { describe, expect, it } from 'vitest';
import { formatUsd, requestLog } from '../../lambdas/local/request-log';
import { logFormat, portFromEnv } from '../../lambdas/local/start-options';
import { mockTextTokens } from '../../lambdas/providers/mock/index';

const at = () => new Date('2026-12-08T01:02:03.456Z');

describe('the readable local log', () => {
  it('prints one line per request, joining the served response with its metering', async () => {
    // Prepare
    const lines: string[] = [];
    const out = requestLog({ write: (l) => lines.push(l), now: at, keyName: async (_a, k) => (k === 'key-1' ? 'backend' : undefined) });
    const headers = {
      'x-request-id': 'req-1',
      'x-ctr-model': 'mock/echo-small',
      'x-ctr-provider': 'mock',
      'x-ctr-upstream-model': 'mock-small',
    };
    // Act
    out.logger.log('info', 'request metered', {
      requestId: 'req-1',
      accountId: 'demo',
      keyId: 'key-1',
      promptTokens: 12,
      completionTokens: 8,
      costNanoUsd: 180,
      latencyMs: 14,
      ttftMs: 3,
    });
    out.logger.log('info', 'outbox spool replayed', { countReplayed: 0 });
    await out.served({ method: 'POST', path: '/v1/chat/completions', status: 200, ms: 15.2, headers });
    await out.served({ method: 'POST', path: '/v1/chat/completions', status: 401, ms: 1.4, headers: { 'x-request-id': 'req-2' } });
    out.logger.log('warn', 'metering queued to outbox', { requestId: 'req-3', countUsage: 1 });
    // Assess
    expect(lines).toEqual([
      '01:02:03  backend  mock/echo-small → mock/mock-small  200  12 + 8 tokens  $0.00000018  14 ms (first token 3 ms)',
      '01:02:03  -  POST /v1/chat/completions  401  1 ms',
      '01:02:03  WARN  metering queued to outbox  requestId=req-3 countUsage=1',
    ]);
  });

  it('falls back to the key id when the name cannot be read, and never holds more than its bound', async () => {
    const lines: string[] = [];
    const out = requestLog({ write: (l) => lines.push(l), now: at, keyName: async () => Promise.reject(new Error('store down')) });
    for (let i = 0; i < 1_500; i++)
      out.logger.log('info', 'request metered', { requestId: `r${i}`, accountId: 'a', keyId: 'k9', latencyMs: 1 });
    await out.served({ method: 'POST', path: '/v1/embeddings', status: 200, ms: 2, headers: { 'x-request-id': 'r0' } });
    await out.served({ method: 'POST', path: '/v1/embeddings', status: 200, ms: 2, headers: { 'x-request-id': 'r1499' } });
    expect(lines[0]).toBe('01:02:03  -  POST /v1/embeddings  200  2 ms');
    expect(lines[1]).toBe('01:02:03  k9  POST /v1/embeddings  200  0 + 0 tokens  $0  1 ms');
  });

  it('shows money as a person reads it, never in exponent notation', () => {
    expect([180, 1_250_000_000, 12_340_000, 0, -5, Number.NaN].map(formatUsd)).toEqual(['$0.00000018', '$1.25', '$0.01', '$0', '$0', '$0']);
  });
});

describe("npm start's environment", () => {
  it('names PORT in a bad port error', () => {
    expect(portFromEnv(undefined)).toBe(8787);
    expect(portFromEnv('9000')).toBe(9000);
    expect(portFromEnv('0')).toBe(0);
    for (const bad of ['abc', '70000', '-1', '80.5']) expect(() => portFromEnv(bad)).toThrow(/^PORT must be a port number/);
  });

  it('prints text on a terminal and JSON when piped, unless CTR_LOG_FORMAT says', () => {
    expect(logFormat({}, true)).toBe('text');
    expect(logFormat({}, false)).toBe('json');
    expect(logFormat({ CTR_LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormat({ CTR_LOG_FORMAT: 'text' }, false)).toBe('text');
  });
});

describe("the mock provider's token count", () => {
  it('counts about 4 characters a token, as a BPE tokenizer roughly would', () => {
    expect(mockTextTokens('x'.repeat(1800))).toBe(450);
    expect(mockTextTokens('Hello world!')).toBe(4);
    expect(mockTextTokens('  ')).toBe(0);
  });
});
