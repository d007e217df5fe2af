/**
 * Router config validation (lambdas/core/config.ts), as the CDK app relies on it: invalid regions,
 * retention beyond the privacy policy (§8) and dangling provider references fail with errors that
 * name the field.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, POLICY_MAX_DAYS, parseConfig } from '../../lambdas/core/config';
import { EXAMPLE_CONFIG_PATH } from './fixture';

const example = () => JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as Record<string, any>;

function errorOf(raw: unknown): ConfigError {
  try {
    parseConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected the config to be rejected');
}

describe('router config validation', () => {
  it('accepts the two-replica-region example', () => {
    const config = loadConfigFile(EXAMPLE_CONFIG_PATH);
    expect(config.replicaRegions).toEqual(['eu-west-1', 'ap-southeast-2']);
  });

  it('rejects a replica region equal to the primary region, naming the field', () => {
    const raw = example();
    raw.replicaRegions = ['eu-west-1', raw.primaryRegion];
    expect(errorOf(raw).message).toMatch(/replicaRegions\.1: replica region us-east-1 is the primary region/);
  });

  it('rejects a replica region listed twice', () => {
    const raw = example();
    raw.replicaRegions = ['eu-west-1', 'eu-west-1'];
    expect(errorOf(raw).message).toMatch(/replicaRegions\.1: .*listed twice/);
  });

  it('rejects usage retention beyond the policy maximum (2 years)', () => {
    const raw = example();
    raw.retention.usageDays = POLICY_MAX_DAYS.usage + 1;
    expect(errorOf(raw).message).toMatch(/retention\.usageDays: .*at most 730 days/);
  });

  it('rejects billing retention beyond the policy maximum (7 years)', () => {
    const raw = example();
    raw.retention.billingDays = POLICY_MAX_DAYS.billing + 1;
    expect(errorOf(raw).message).toMatch(/retention\.billingDays: .*at most 2557 days/);
  });

  it('rejects an offer naming an unknown provider, naming the offer', () => {
    const raw = example();
    raw.models[1].offers[0].provider = 'nope';
    expect(errorOf(raw).message).toMatch(/models\.1\.offers\.0\.provider: unknown provider "nope"/);
  });

  it('rejects something that is not a region', () => {
    const raw = example();
    raw.replicaRegions = ['Europe'];
    expect(errorOf(raw).message).toMatch(/replicaRegions\.0: an AWS region/);
  });

  it('lists every failing field at once', () => {
    const raw = example();
    raw.replicaRegions = [raw.primaryRegion];
    raw.retention.usageDays = 9999;
    raw.models[0].offers[0].provider = 'nope';
    const lines = errorOf(raw)
      .message.split('\n')
      .filter((l) => l.trim().startsWith('- '));
    expect(lines.length).toBe(3);
  });

  it('`cdk synth` on a bad config: one line per problem, no stack trace, exit code 1', async () => {
    // Prepare: three problems, one of them a mistyped provider
    const raw = example();
    raw.replicaRegions = [raw.primaryRegion];
    raw.retention.usageDays = 9999;
    raw.models[1].offers[0].provider = 'grq';
    const file = join(mkdtempSync(join(tmpdir(), 'ctr-bad-config-')), 'bad.json');
    writeFileSync(file, JSON.stringify(raw));
    // Act: the app as `cdk synth` runs it (cdk.json)
    const failed = (await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bin/cheap-token-router.ts'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CTR_CONFIG: file },
      timeout: 60_000,
    }).catch((err: unknown) => err)) as { code?: number; stdout: string; stderr: string };
    // Assess
    expect(failed.code).toBe(1);
    expect(failed.stderr.trimEnd().split('\n')).toEqual([
      `Invalid router config ${file}:`,
      expect.stringMatching(/^ {2}- retention\.usageDays: usage data may be kept at most 730 days/),
      '  - replicaRegions.0: replica region us-east-1 is the primary region',
      '  - models.1.offers.0.provider: unknown provider "grq" in an offer of model "meta-llama/llama-3.1-8b-instruct" (did you mean "groq"?)',
    ]);
    expect(failed.stderr).not.toMatch(/^\s+at /m);
  }, 60_000);
});
