/**
 * Bedrock grants (`lib/bedrock-grants.ts`): the ARNs derived from the config's Bedrock offers, and
 * the one invoke statement that chat (never api or admin) gets, in a fresh stack per test.
 */
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { parseConfig, type RouterConfig } from '../../lambdas/core/config';
import { bedrockModelArns, chunkResources } from '../../lib/bedrock-grants';
import { EXAMPLE_CONFIG_PATH, expectProps, idsOf, idsWith, jsonIncludes, logicalIdOf, standaloneRouter } from './fixture';

const price = { input: 0.22, output: 0.22 };

/** The example plus a Bedrock provider with a foundation model and a cross-region inference profile. */
function withBedrock(
  provider: Record<string, unknown> = { region: 'us-west-2' },
  models = ['meta.llama3-1-8b-instruct-v1:0', 'us.meta.llama3-1-8b-instruct-v1:0'],
): RouterConfig {
  const raw = JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8'));
  raw.providers.push({ id: 'bedrock', kind: 'bedrock', jurisdiction: 'US', ...provider });
  for (const upstreamModel of models) raw.models[1].offers.push({ provider: 'bedrock', upstreamModel, price });
  return parseConfig(raw);
}

const stackIn = (region: string) => new Stack(new App(), 'S', { env: { region } });

describe('bedrockModelArns', () => {
  it('an inference profile in the provider region, with its model in every region (one ARN, even if also offered directly)', () => {
    const stack = stackIn('eu-west-1');
    const arns = bedrockModelArns(withBedrock(), stack);
    const resolved = JSON.stringify(stack.resolve(arns.resources));
    expect(resolved).toContain(':bedrock:us-west-2:');
    expect(resolved).toContain(':inference-profile/us.meta.llama3-1-8b-instruct-v1:0');
    expect(arns.resources).toHaveLength(2);
    expect(arns.anyRegion).toEqual(['arn:<AWS::Partition>:bedrock:*::foundation-model/meta.llama3-1-8b-instruct-v1:0']);
  });

  it('a foundation model in its one region; the same model in two regions is one region-wildcard ARN', () => {
    const raw = JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8'));
    raw.providers.push({ id: 'bedrock', kind: 'bedrock', region: 'us-west-2' }, { id: 'bedrock-eu', kind: 'bedrock', region: 'eu-west-1' });
    raw.models[1].offers.push(
      { provider: 'bedrock', upstreamModel: 'meta.a-v1:0', price },
      { provider: 'bedrock', upstreamModel: 'meta.b-v1:0', price },
      { provider: 'bedrock-eu', upstreamModel: 'meta.b-v1:0', price },
    );
    const stack = stackIn('eu-west-1');
    const arns = bedrockModelArns(parseConfig(raw), stack);
    const resolved = stack.resolve(arns.resources).map((r: unknown) => JSON.stringify(r));
    expect(resolved).toHaveLength(2);
    expect(resolved[0]).toContain(':bedrock:us-west-2::foundation-model/meta.a-v1:0');
    expect(resolved[1]).toContain(':bedrock:*::foundation-model/meta.b-v1:0');
    expect(arns.anyRegion).toEqual(['arn:<AWS::Partition>:bedrock:*::foundation-model/meta.b-v1:0']);
  });

  it('takes the region from the endpoint URL, else the stack region; passes full ARNs through', () => {
    const arn = 'arn:aws:bedrock:us-east-1:111111111111:application-inference-profile/abc';
    const fromUrl = bedrockModelArns(
      withBedrock({ baseUrl: 'https://bedrock-runtime.ap-northeast-1.amazonaws.com' }, ['meta.x-v1:0', arn]),
      stackIn('eu-west-1'),
    );
    expect(JSON.stringify(fromUrl.resources)).toContain(':bedrock:ap-northeast-1::foundation-model/meta.x-v1:0');
    expect(fromUrl.resources).toContain(arn);
    expect(fromUrl.anyRegion).toEqual([]);
    const stack = stackIn('eu-west-1');
    expect(JSON.stringify(stack.resolve(bedrockModelArns(withBedrock({}, ['meta.x-v1:0']), stack).resources))).toContain(
      ':bedrock:eu-west-1::',
    );
  });

  it('nothing without a Bedrock provider', () => {
    const config = parseConfig(JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')));
    expect(bedrockModelArns(config, stackIn('eu-west-1'))).toEqual({ resources: [], anyRegion: [] });
  });
});

describe('chunkResources', () => {
  it('keeps each group within the limit, in order, and refuses a resource that cannot fit alone', () => {
    const resources = ['aaaa', 'bbbb', 'cc', 'dddddd'];
    const chunks = chunkResources(resources, (r) => r.length, 3, 13); // each resource counts its comma
    expect(chunks).toEqual([
      ['aaaa', 'bbbb'],
      ['cc', 'dddddd'],
    ]);
    expect(() => chunkResources(['x'.repeat(20)], (r) => r.length, 3, 12)).toThrow(/cannot fit/);
  });
});

describe('Bedrock invoke grant', () => {
  it('lets chat (the only function that calls providers) invoke exactly the configured Bedrock models, in the provider region', () => {
    // Prepare / Act
    const { router, t } = standaloneRouter({}, { config: withBedrock(), region: 'eu-west-1' });
    // Assess
    const invoke = Match.objectLike({ Action: jsonIncludes('bedrock:') });
    const withInvoke = idsWith(t, 'AWS::IAM::ManagedPolicy', { PolicyDocument: { Statement: Match.arrayWith([invoke]) } });
    const policies = router.functionRoles.chat.node.children.filter((c) => c instanceof iam.ManagedPolicy);
    expect(withInvoke).toEqual(policies.map(logicalIdOf).sort());
    expect(policies).toHaveLength(1);
    expectProps(t, policies[0]!, {
      Roles: [{ Ref: logicalIdOf(router.functionRoles.chat) }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Sid: 'InvokeConfiguredBedrockModels',
            Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
            Resource: jsonIncludes(
              ':inference-profile/us.meta.llama3-1-8b-instruct-v1:0',
              ':bedrock:*::foundation-model/meta.llama3-1-8b-instruct-v1:0',
            ),
          }),
        ],
      },
    });
    // No role has Bedrock in its inline policy.
    expect(idsWith(t, 'AWS::IAM::Policy', { PolicyDocument: { Statement: Match.arrayWith([invoke]) } })).toEqual([]);
    // The region wildcard is acknowledged (cdk-nag IAM5) per role that has it.
    expect(router.bedrockWildcards.map((w) => w.role)).toEqual([router.functionRoles.chat]);
  });

  it('no Bedrock policy without a Bedrock provider', () => {
    const { router, t } = standaloneRouter();
    expect(idsOf(t, 'AWS::IAM::ManagedPolicy')).toEqual([]);
    expect(
      idsWith(t, 'AWS::IAM::Policy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: jsonIncludes('bedrock:') })]) },
      }),
    ).toEqual([]);
    expect(router.bedrockWildcards).toEqual([]);
  });
});
