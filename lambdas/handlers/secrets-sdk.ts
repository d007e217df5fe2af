/**
 * The parts of the Secrets Manager SDK the credentials loader uses, loaded with `import()` only
 * when the provider secret is configured (credentials.ts); named here so esbuild leaves out the rest.
 */
export { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
