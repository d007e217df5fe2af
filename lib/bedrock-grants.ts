/**
 * Bedrock offers are called with the function's role: which model ARNs the config's Bedrock
 * offers need, and the managed policies that allow invoking exactly those, split so that each
 * stays within IAM's managed-policy size whatever the size of the catalog.
 */
import { Aws, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { RouterConfig } from '../lambdas/core/config';
import { AWS_QUOTAS, compactJsonLength } from './aws-quotas';

/** Model ARNs a config's Bedrock offers invoke. */
export interface BedrockModelArns {
  /** Every resource of the invoke statements (foundation models, inference profiles, region wildcards), each once. */
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
/** A foundation model needed in more than one region. */
const ANY_REGION = '*';

/**
 * The model ARNs of every Bedrock offer, in the region each Bedrock provider calls (its `region`,
 * its endpoint's region, or the stack's region). A cross-region inference profile also needs its
 * model in every region it routes to, which IAM can only express with a region wildcard; a
 * foundation model needed in several regions gets one region-wildcard ARN rather than one per
 * region. Every ARN names one model: there is no vendor or model wildcard.
 *
 * @example
 * bedrockModelArns(config, Stack.of(this)).resources
 * // ['arn:${Partition}:bedrock:us-west-2::foundation-model/meta.llama3-1-8b-instruct-v1:0', …]
 */
export function bedrockModelArns(config: RouterConfig, stack: Stack): BedrockModelArns {
  const arns = new Set<string>();
  /** Foundation model id → the regions it is invoked in (or ANY_REGION). */
  const modelRegions = new Map<string, Set<string>>();
  const needModel = (model: string, region: string) => {
    const regions = modelRegions.get(model) ?? new Set<string>();
    regions.add(region);
    modelRegions.set(model, regions);
  };
  for (const provider of config.providers.filter((p) => p.kind === 'bedrock')) {
    const fromUrl = provider.baseUrl && RUNTIME_ENDPOINT.exec(provider.baseUrl)?.[1];
    const region = provider.region ?? fromUrl ?? stack.region;
    for (const offer of config.models.flatMap((m) => m.offers).filter((o) => o.provider === provider.id)) {
      const id = offer.upstreamModel;
      if (id.startsWith('arn:')) {
        arns.add(id);
      } else if (INFERENCE_PROFILE.test(id)) {
        arns.add(stack.formatArn({ service: 'bedrock', region, resource: 'inference-profile', resourceName: id }));
        needModel(id.slice(id.indexOf('.') + 1), ANY_REGION);
      } else {
        needModel(id, region);
      }
    }
  }
  const anyRegion: string[] = [];
  for (const [model, regions] of modelRegions) {
    if (regions.size === 1 && !regions.has(ANY_REGION)) {
      const [region] = regions;
      arns.add(stack.formatArn({ service: 'bedrock', region, account: '', resource: 'foundation-model', resourceName: model }));
    } else {
      arns.add(`arn:${Aws.PARTITION}:bedrock:*::foundation-model/${model}`);
      anyRegion.push(`arn:<AWS::Partition>:bedrock:*::foundation-model/${model}`);
    }
  }
  return { resources: [...arns], anyRegion };
}

const INVOKE_ACTIONS = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];

/**
 * Splits resources into groups whose policy document stays within `limit` characters as IAM
 * counts them (`length(resource)` being a resource's JSON length, `overhead` the rest of the
 * document's). Order is kept.
 *
 * @example
 * chunkResources(['a', 'b', 'c'], (r) => r.length + 2, 10, 5) // [['a', 'b'], ['c']]
 */
export function chunkResources<T>(resources: readonly T[], length: (r: T) => number, overhead: number, limit: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = overhead;
  for (const r of resources) {
    const n = length(r) + 1; // and its comma
    if (n + overhead > limit) throw new Error(`a resource of ${n} characters cannot fit in a policy of ${limit}`);
    if (current.length > 0 && size + n > limit) {
      chunks.push(current);
      current = [];
      size = overhead;
    }
    current.push(r);
    size += n;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The invoke statement over some resources. */
const invokeStatement = (resources: readonly string[]) =>
  new iam.PolicyStatement({ sid: 'InvokeConfiguredBedrockModels', actions: INVOKE_ACTIONS, resources: [...resources] });

/**
 * Allows a role to invoke exactly the configured Bedrock models (nothing when the config has no
 * Bedrock offer), in as many managed policies of the role's own as IAM's size quota requires.
 * Returns the region-wildcard resources it granted.
 */
export function grantBedrockInvoke(role: iam.Role, config: RouterConfig, stack: Stack): readonly string[] {
  const { resources, anyRegion } = bedrockModelArns(config, stack);
  if (resources.length === 0) return [];
  const documentLength = (rs: readonly string[]) =>
    compactJsonLength(stack.resolve(new iam.PolicyDocument({ statements: [invokeStatement(rs)] }).toJSON()));
  // A one-resource document less its (empty) resource's quotes, plus the brackets of a list.
  const overhead = documentLength(['']) - 2 + 2;
  const chunks = chunkResources(resources, (r) => compactJsonLength(stack.resolve(r)), overhead, AWS_QUOTAS.managedPolicySize);
  chunks.forEach((chunk, i) => {
    new iam.ManagedPolicy(role, `InvokeBedrockModels${i + 1}`, {
      description: `Invoke the configured Bedrock models (part ${i + 1} of ${chunks.length})`,
      roles: [role],
      statements: [invokeStatement(chunk)],
    });
  });
  return anyRegion;
}
