/**
 * Bedrock offers are called with the function's role: which model ARNs the config's Bedrock
 * offers need, and the one statement that allows invoking exactly those.
 */
import { Aws, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { RouterConfig } from '../lambdas/core/config';

/** Model ARNs a config's Bedrock offers invoke. */
export interface BedrockModelArns {
  /** Every resource of the invoke statement (foundation models, inference profiles, region wildcards). */
  readonly resources: readonly string[];
  /**
   * The region-wildcard foundation-model ARNs among them, in the form cdk-nag reports
   * (`arn:<AWS::Partition>:bedrock:*::foundation-model/<model>`), to acknowledge one by one.
   */
  readonly anyRegion: readonly string[];
}

/** Prefixes of cross-region inference profile ids (`us.…`, `eu.…`). */
const INFERENCE_PROFILE = /^(us|eu|apac|us-gov|global|jp|au|ca)\./;
/** The region in a Bedrock runtime endpoint URL. */
const RUNTIME_ENDPOINT = /\bbedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com/;

/**
 * The model ARNs of every Bedrock offer, in the region each Bedrock provider calls (its `region`,
 * its endpoint's region, or the stack's region). A cross-region inference profile also needs its
 * model in every region it routes to, which IAM can only express with a region wildcard.
 *
 * @example
 * bedrockModelArns(config, Stack.of(this)).resources
 * // ['arn:${Partition}:bedrock:us-west-2::foundation-model/meta.llama3-1-8b-instruct-v1:0', …]
 */
export function bedrockModelArns(config: RouterConfig, stack: Stack): BedrockModelArns {
  const arns = new Set<string>();
  const anyRegion = new Set<string>();
  for (const provider of config.providers.filter((p) => p.kind === 'bedrock')) {
    const fromUrl = provider.baseUrl && RUNTIME_ENDPOINT.exec(provider.baseUrl)?.[1];
    const region = provider.region ?? fromUrl ?? stack.region;
    for (const offer of config.models.flatMap((m) => m.offers).filter((o) => o.provider === provider.id)) {
      const id = offer.upstreamModel;
      if (id.startsWith('arn:')) {
        arns.add(id);
      } else if (INFERENCE_PROFILE.test(id)) {
        arns.add(stack.formatArn({ service: 'bedrock', region, resource: 'inference-profile', resourceName: id }));
        const model = id.slice(id.indexOf('.') + 1);
        arns.add(`arn:${Aws.PARTITION}:bedrock:*::foundation-model/${model}`);
        anyRegion.add(`arn:<AWS::Partition>:bedrock:*::foundation-model/${model}`);
      } else {
        arns.add(stack.formatArn({ service: 'bedrock', region, account: '', resource: 'foundation-model', resourceName: id }));
      }
    }
  }
  return { resources: [...arns], anyRegion: [...anyRegion] };
}

/**
 * Allows a role to invoke exactly the configured Bedrock models (nothing when the config has no
 * Bedrock offer). Returns the region-wildcard resources it granted.
 */
export function grantBedrockInvoke(role: iam.IRole, config: RouterConfig, stack: Stack): readonly string[] {
  const { resources, anyRegion } = bedrockModelArns(config, stack);
  if (resources.length === 0) return [];
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'InvokeConfiguredBedrockModels',
      actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
      resources: [...resources],
    }),
  );
  return anyRegion;
}
