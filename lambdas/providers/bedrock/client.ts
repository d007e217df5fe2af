/**
 * Bedrock Runtime clients, one per region and endpoint, created on first use and kept for the
 * life of the Lambda execution environment. Credentials come from the default provider chain
 * (the function's IAM role in the cloud); Bedrock takes no API key.
 */
import type { BedrockRuntimeClient, BedrockRuntimeClientConfig } from '@aws-sdk/client-bedrock-runtime';
import type { ProviderSettings } from '../../domain/provider';

type BedrockSdk = typeof import('./sdk');
let sdkModule: Promise<BedrockSdk> | undefined;
/**
 * The SDK, loaded on first use: deployments without a Bedrock provider never pay for
 * evaluating it at cold start (the registry imports every adapter).
 */
export function bedrockSdk(): Promise<BedrockSdk> {
  sdkModule ??= import('./sdk');
  return sdkModule;
}

/**
 * Extra provider settings the Bedrock adapter reads (proposed optional config fields).
 * `region` wins; otherwise the region is taken from a `bedrock-runtime.<region>.amazonaws.com`
 * baseUrl, then from AWS_REGION.
 */
export interface BedrockProviderOptions {
  region?: string;
}

/** Creates a client; tests inject one that points at a loopback mock with static credentials. */
export type BedrockClientFactory = (region: string, endpoint: string | undefined) => BedrockRuntimeClient | Promise<BedrockRuntimeClient>;

/** The region a Bedrock provider calls. */
export function bedrockRegion(provider: ProviderSettings & BedrockProviderOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (typeof provider.region === 'string' && provider.region) return provider.region;
  const fromUrl = provider.baseUrl && /\bbedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com/.exec(provider.baseUrl)?.[1];
  return fromUrl || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
}

/**
 * The SDK's own retries are off: the router falls back to the next offer on a retryable error,
 * which is faster than retrying a throttled region, and keeps time-to-first-byte predictable.
 */
export const BEDROCK_CLIENT_DEFAULTS: Partial<BedrockRuntimeClientConfig> = { maxAttempts: 1 };

const clients = new Map<string, BedrockRuntimeClient>();

/** The cached client for a region (and optional endpoint override). */
export const defaultBedrockClient = async (region: string, endpoint: string | undefined): Promise<BedrockRuntimeClient> => {
  const key = `${region}|${endpoint ?? ''}`;
  let client = clients.get(key);
  if (!client) {
    const { BedrockRuntimeClient } = await bedrockSdk();
    client = clients.get(key) ?? new BedrockRuntimeClient({ ...BEDROCK_CLIENT_DEFAULTS, region, ...(endpoint ? { endpoint } : {}) });
    clients.set(key, client);
  }
  return client;
};
