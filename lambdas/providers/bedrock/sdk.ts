/**
 * The parts of the Bedrock Runtime SDK the adapter uses. Loaded with `import()` (client.ts), so a
 * bundle evaluates it only when a Bedrock offer is called; importing these names here, rather than
 * the whole package dynamically, lets esbuild leave out the commands the router never sends.
 */
export { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
