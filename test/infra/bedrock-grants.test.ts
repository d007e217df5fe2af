/**
 * Bedrock grants (`lib/bedrock-grants.ts`): the ARNs derived from the config's Bedrock offers, and
 * the one invoke statement that chat (never api or admin) gets, in a fresh stack per test.
 */
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseConfig, type RouterConfig } from '../../lambdas/core/config';
import { bedrockModelArns } from '../../lib/bedrock-grants';
import { ROUTER_FUNCTIONS } from '../../lib/table-access';
import { EXAMPLE_CONFIG_PATH, expectProps, idsWith, jsonIncludes, logicalIdOf, standaloneRouter } from './fixture';

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
  it('a foundation model in the provider region; an inference profile with its model in every region', () => {
    const stack = stackIn('eu-west-1');
    const arns = bedrockModelArns(withBedrock(), stack);
    const resolved = stack.resolve(arns.resources);
    expect(JSON.stringify(resolved)).toContain(':bedrock:us-west-2::foundation-model/meta.llama3-1-8b-instruct-v1:0');
    expect(JSON.stringify(resolved)).toContain(':bedrock:us-west-2:');
    expect(JSON.stringify(resolved)).toContain(':inference-profile/us.meta.llama3-1-8b-instruct-v1:0');
    expect(arns.anyRegion).toEqual(['arn:<AWS::Partition>:bedrock:*::foundation-model/meta.llama3-1-8b-instruct-v1:0']);
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

describe('Bedrock invoke grant', () => {
  it('lets chat (the only function that calls providers) invoke exactly the configured Bedrock models, in the provider region', () => {
    const { router, t } = standaloneRouter({}, { config: withBedrock(), region: 'eu-west-1' });
    const invoke = Match.objectLike({ Action: jsonIncludes('bedrock:') });
    const withBedrockStatement = idsWith(t, 'AWS::IAM::Policy', { PolicyDocument: { Statement: Match.arrayWith([invoke]) } });
    for (const name of ROUTER_FUNCTIONS) {
      const policy = router.functionRoles[name].node.findChild('DefaultPolicy');
      expect(withBedrockStatement.includes(logicalIdOf(policy)), name).toBe(name === 'chat');
      if (name !== 'chat') continue;
      expectProps(t, policy, {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'InvokeConfiguredBedrockModels',
              Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
              Resource: jsonIncludes(
                ':bedrock:us-west-2::foundation-model/meta.llama3-1-8b-instruct-v1:0',
                ':inference-profile/us.meta.llama3-1-8b-instruct-v1:0',
                ':bedrock:*::foundation-model/meta.llama3-1-8b-instruct-v1:0',
              ),
            }),
          ]),
        },
      });
    }
    // The region wildcard is acknowledged (cdk-nag IAM5) per role that has it.
    expect(router.bedrockWildcards.map((w) => w.role)).toEqual([router.functionRoles.chat]);
  });

  it('no Bedrock statement without a Bedrock provider', () => {
    const { router, t } = standaloneRouter();
    expect(
      idsWith(t, 'AWS::IAM::Policy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: jsonIncludes('bedrock:') })]) },
      }),
    ).toEqual([]);
    expect(router.bedrockWildcards).toEqual([]);
  });
});
