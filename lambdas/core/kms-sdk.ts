/**
 * The parts of the KMS SDK the data-key provider uses, loaded with `import()` on the first data key
 * a function needs (personal-data.ts); named here so esbuild leaves out the rest of the client.
 */
export { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
