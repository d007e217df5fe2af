/**
 * Provider credentials. Locally each provider's key comes from the environment variable the
 * config names; in the cloud from one Secrets Manager secret (a JSON object keyed by the
 * credential's `secretField`, default the provider id), read once per cold start.
 */
import type { ProviderConfig, RouterConfig } from '../core/config';

export interface Credentials {
  /** Provider ids that can be called. */
  usable: Set<string>;
  apiKeyFor(provider: ProviderConfig): string | undefined;
}

/** Loads credentials for every provider in the config. */
export async function loadCredentials(config: RouterConfig, env: NodeJS.ProcessEnv = process.env): Promise<Credentials> {
  let secret: Record<string, string> = {};
  if (env.CTR_PROVIDER_SECRET_ARN) {
    // Loaded only here: local mode and the functions without provider credentials never evaluate it.
    const { GetSecretValueCommand, SecretsManagerClient } = await import('./secrets-sdk');
    const client = new SecretsManagerClient({});
    const out = await client.send(new GetSecretValueCommand({ SecretId: env.CTR_PROVIDER_SECRET_ARN }));
    try {
      secret = JSON.parse(out.SecretString ?? '{}') as Record<string, string>;
    } catch {
      throw new Error('provider credentials secret is not a JSON object');
    }
  }
  const keys = new Map<string, string>();
  for (const p of config.providers) {
    if (!p.credential) continue;
    const value = env.CTR_PROVIDER_SECRET_ARN ? secret[p.credential.secretField ?? p.id] : env[p.credential.env];
    if (value) keys.set(p.id, value);
  }
  // Providers that need no key are usable: the mock always; kinds that sign with IAM (Bedrock) when
  // AWS credentials are at hand (a Lambda role, or an operator's profile or keys in local mode).
  // CTR_BEDROCK=1 declares credentials the environment does not show (default profile, EC2 instance profile).
  const aws = Boolean(
    env.CTR_BEDROCK === '1' ||
      env.AWS_LAMBDA_FUNCTION_NAME ||
      env.AWS_ACCESS_KEY_ID ||
      env.AWS_PROFILE ||
      env.AWS_CONTAINER_CREDENTIALS_FULL_URI ||
      env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ||
      env.AWS_WEB_IDENTITY_TOKEN_FILE,
  );
  const usable = new Set(config.providers.filter((p) => (p.credential ? keys.has(p.id) : p.kind !== 'bedrock' || aws)).map((p) => p.id));
  return { usable, apiKeyFor: (p) => keys.get(p.id) };
}
