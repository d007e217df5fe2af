/** `npm run cost`: the arithmetic on the stacks synthesized from the shipped config (offline, no bundling). */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../../lambdas/core/config';
import { chatFunction, costPerMillion, limitsTableMonthly, replicaCount, total } from '../../scripts/cost/compute';
import type { PerRequestOps } from '../../scripts/cost/store-ops';
import { accessLogBytes, type DeploymentShape, deploymentShape, synthesizeStacks } from '../../scripts/cost/templates';

let shape: DeploymentShape;

beforeAll(() => {
  shape = deploymentShape(synthesizeStacks(loadConfigFile(DEFAULT_CONFIG_PATH)));
}, 120_000);

describe('cost per million requests', () => {
  it('reads memory, architecture, replicas and the access-log format from the synthesized templates', () => {
    expect(chatFunction(shape)).toMatchObject({ memoryMb: 256, architecture: 'arm64' });
    expect(shape.routerRegions.sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(replicaCount(shape, 'limits')).toBe(2);
    expect(accessLogBytes(shape.accessLogFormat)).toBeGreaterThan(100);
  });

  it('adds up one known case', () => {
    // Prepare: 1 s of upstream, 4 WRU + 2 RRU on the limits table (2 regions), 1 KiB of logs, one KMS call.
    const ops: PerRequestOps = {
      tables: { limits: { calls: {}, readUnits: 2, writeUnits: 4 } },
      roundTrips: 1,
      logLines: 1,
      logBytes: 1024,
    };
    // Act
    const lines = costPerMillion(shape, ops, {
      upstreamSeconds: 1,
      routerOverheadMs: 0,
      accessLogBytes: 0,
      kmsCallsPerRequest: 1,
      outboxShare: 0,
    });
    // Assess
    const of = (item: string) => lines.find((l) => l.item === item)!.perMillion;
    expect(of('Lambda duration')).toBeCloseTo(0.25 * 0.0000133334 * 1e6, 6); // 256 MB for 1 s on arm64
    expect(of('Lambda requests')).toBeCloseTo(0.2, 9);
    expect(of('API Gateway (REST)')).toBeCloseTo(3.5, 9);
    expect(of('DynamoDB writes')).toBeCloseTo(2.5, 9);
    expect(of('DynamoDB replicated writes')).toBeCloseTo(2.5, 9); // one other region
    expect(of('DynamoDB reads')).toBeCloseTo(0.25, 9);
    expect(of('KMS')).toBeCloseTo(3, 9);
    expect(of('CloudWatch Logs')).toBeCloseTo((1024 / 2 ** 30) * 0.5 * 1e6, 9);
    expect(total(lines)).toBeCloseTo(3.33335 + 0.2 + 3.5 + 2.5 + 2.5 + 0.25 + 3 + 0.4768372, 4);
    expect(limitsTableMonthly(ops, 1e6, 3)).toEqual({ regional: 2.5, replicated: 7.5 });
  });
});
