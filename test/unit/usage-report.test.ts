/**
 * Usage reports (core/usage-report.ts) and refusal counting (core/refusals.ts): percentiles, grouping
 * by hour, refusals merged into the groups that carry them, and the counter's batching and bounds.
 */
import { describe, expect, it } from 'vitest';
import { type RefusalCount, RefusalCounter, refusalReason } from '../../lambdas/core/refusals';
import { percentiles, usageReport } from '../../lambdas/core/usage-report';
import type { UsageEvent } from '../../lambdas/domain/usage';
import { usageEventOf } from '../helpers/usage-records';

const event = (at: string, keyId: string, latencyMs: number, status = 'ok'): UsageEvent =>
  usageEventOf({
    accountId: 'acme',
    requestId: `r-${at}-${latencyMs}`,
    keyId,
    at,
    servedModel: 'm',
    latencyMs,
    ttftMs: latencyMs / 2,
    status,
    costNanoUsd: 100,
    referenceCostNanoUsd: 150,
  });

describe('usage reports', () => {
  it('gives nearest-rank percentiles, skipping values that are not numbers', () => {
    expect(percentiles([])).toEqual({ p50: 0, p95: 0, p99: 0 });
    expect(percentiles(Array.from({ length: 100 }, (_, i) => 100 - i))).toEqual({ p50: 50, p95: 95, p99: 99 });
    expect(percentiles([3, Number.NaN, 1, 2])).toEqual({ p50: 2, p95: 3, p99: 3 });
  });

  it('groups by hour with errors, latency and last use, and merges refusals where the grouping carries them', () => {
    // Prepare
    const events = [
      event('2026-12-08T01:05:00.000Z', 'k1', 40),
      event('2026-12-08T01:59:00.000Z', 'k1', 80, 'upstream_error'),
      event('2026-12-08T02:00:00.000Z', 'k2', 20),
    ];
    const refusals: RefusalCount[] = [
      { accountId: 'acme', keyId: 'k2', hour: '2026-12-08T02:00', reason: '429-rate-limit-exceeded', count: 3 },
      { accountId: 'acme', keyId: 'k3', hour: '2026-12-08T03:00', reason: '404-model-not-found', count: 1 },
    ];
    // Act
    const byHour = usageReport(events, 'hour', refusals);
    const byKey = usageReport(events, 'key', refusals);
    const byModel = usageReport(events, 'model', refusals);
    // Assess
    expect(byHour.map((r) => [r.group, r.requests, r.errors, r.refusals, r.latencyMs.p50, r.lastAt])).toEqual([
      ['2026-12-08T01:00', 2, 1, 0, 40, '2026-12-08T01:59:00.000Z'],
      ['2026-12-08T02:00', 1, 0, 3, 20, '2026-12-08T02:00:00.000Z'],
      ['2026-12-08T03:00', 0, 0, 1, 0, ''],
    ]);
    expect(byKey.find((r) => r.group === 'k2')?.refusedBy).toEqual({ '429-rate-limit-exceeded': 3 });
    expect(byKey.find((r) => r.group === 'k3')).toMatchObject({ requests: 0, refusals: 1 });
    expect(byModel.map((r) => [r.group, r.requests, r.refusals, r.costUsd, r.savingsUsd])).toEqual([['m', 3, 0, 3e-7, 1.5e-7]]);
  });
});

describe('refusal counting', () => {
  it('names reasons by status and code in the characters an attribute name takes', () => {
    expect(refusalReason(429, 'rate_limit_exceeded')).toBe('429-rate-limit-exceeded');
    expect(refusalReason(401, null)).toBe('401-none');
    expect(refusalReason(404, 'a/b c'.repeat(20)).length).toBeLessThanOrEqual(52);
  });

  it('adds refusals up in memory, writes them in one batch, and drops (and logs) what exceeds its bound', async () => {
    // Prepare
    const written: RefusalCount[][] = [];
    const logged: string[] = [];
    const counter = new RefusalCounter({ add: async (c) => void written.push([...c]) }, { log: (_l, m) => void logged.push(m) }, 60_000);
    const at = new Date('2026-12-08T01:30:00Z');
    const caller = { accountId: 'acme', keyId: 'k1' };
    // Act
    counter.note(caller, 429, 'rate_limit_exceeded', at);
    counter.note(caller, 429, 'rate_limit_exceeded', at);
    counter.note(undefined, 401, 'invalid_api_key', at);
    for (let i = 0; i < 1_100; i++) counter.note({ accountId: `a${i}`, keyId: 'k' }, 404, 'model_not_found', at);
    await counter.flush();
    await counter.flush();
    // Assess
    expect(written).toHaveLength(1);
    expect(written[0]).toHaveLength(1_000);
    expect(written[0]!.slice(0, 2)).toEqual([
      { accountId: 'acme', keyId: 'k1', hour: '2026-12-08T01:00', reason: '429-rate-limit-exceeded', count: 2 },
      { accountId: undefined, keyId: undefined, hour: '2026-12-08T01:00', reason: '401-invalid-api-key', count: 1 },
    ]);
    expect(logged).toEqual(['refusal counts dropped']);
  });

  it('logs a write the store refuses and goes on', async () => {
    const logged: string[] = [];
    const counter = new RefusalCounter(
      { add: async () => Promise.reject(new Error('down')) },
      { log: (_l, m) => void logged.push(m) },
      60_000,
    );
    counter.note(undefined, 401, null);
    await counter.flush();
    expect(logged).toEqual(['refusal counts not written']);
  });
});
