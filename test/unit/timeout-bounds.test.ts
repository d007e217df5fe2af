/**
 * The deployment's waits checked against each other (lib/timeout-bounds.ts): a provider's silence
 * bound below API Gateway's streaming idle limit and below the streamed function's timeout less its
 * metering margin; `cdk synth` refuses a config that breaks either, naming the provider.
 */
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/config';
import { DEADLINE_MARGIN_MS } from '../../lambdas/handlers/streaming';
import { addCheapTokenRouterStacks } from '../../lib/cheap-token-router-stacks';
import { REST_STREAM_IDLE_SECONDS, timeoutProblems } from '../../lib/timeout-bounds';
import { defaultConfig, rawDefaultConfig } from '../helpers/config';

const withTimeout = (timeoutMs: number) => {
  const raw = rawDefaultConfig();
  raw.providers = raw.providers.map((p: { id: string }) => (p.id === 'groq' ? { ...p, timeoutMs } : p));
  return parseConfig(raw);
};

describe('timeout bounds', () => {
  it('accept the shipped config: every silence bound fits the 600 s streamed function and the 300 s idle limit', () => {
    expect(timeoutProblems(defaultConfig(), 600, DEADLINE_MARGIN_MS)).toEqual([]);
  });

  it('name a provider whose silence bound is above the streaming idle limit or leaves no time to meter', () => {
    expect(timeoutProblems(withTimeout(900_000), 600, DEADLINE_MARGIN_MS)).toEqual([
      expect.stringMatching(new RegExp(`^provider groq: timeoutMs 900000 is above API Gateway's ${REST_STREAM_IDLE_SECONDS} s idle limit`)),
      expect.stringMatching(/^provider groq: timeoutMs 900000 leaves the streamed function \(timeout 600 s\) less than 10000 ms/),
    ]);
    expect(timeoutProblems(withTimeout(295_000), 300, DEADLINE_MARGIN_MS)).toEqual([
      expect.stringMatching(/^provider groq: timeoutMs 295000 leaves the streamed function \(timeout 300 s\)/),
    ]);
    expect(timeoutProblems(withTimeout(300_000), 600, DEADLINE_MARGIN_MS)).toEqual([]);
  });

  it('stop cdk synth with the problem, naming the provider', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(() => addCheapTokenRouterStacks(app, { config: withTimeout(400_000), account: '111122223333' })).toThrow(
      /provider groq: timeoutMs 400000 is above API Gateway's 300 s idle limit/,
    );
  });
});
