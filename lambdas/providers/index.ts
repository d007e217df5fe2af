/**
 * The adapter registry: one entry per provider kind. Adding an OpenAI-compatible host needs
 * no code (a provider of kind `openai` in the config); a new wire format adds one folder here.
 */
import type { ProviderConfig } from '../core/config';
import type { Capabilities } from '../core/config';
import { anthropicAdapter, anthropicCapabilities } from './anthropic';
import { bedrockAdapter, bedrockCapabilities } from './bedrock';
import { geminiAdapter, geminiCapabilities } from './gemini';
import { mockAdapter } from './mock';
import { openaiAdapter } from './openai';
import type { ProviderAdapter } from './types';

const ADAPTERS: Record<ProviderConfig['kind'], ProviderAdapter> = {
  openai: openaiAdapter,
  anthropic: anthropicAdapter,
  bedrock: bedrockAdapter,
  gemini: geminiAdapter,
  mock: mockAdapter,
};

const ALL: Capabilities = { tools: true, vision: true, jsonMode: true, structuredOutput: true };

/** What each provider kind's adapter can express; an offer never has a capability its kind lacks. */
export const KIND_CAPABILITIES: Readonly<Record<ProviderConfig['kind'], Capabilities>> = {
  openai: ALL,
  anthropic: anthropicCapabilities,
  bedrock: bedrockCapabilities,
  gemini: geminiCapabilities,
  mock: ALL,
};

export function adapterFor(provider: ProviderConfig): ProviderAdapter {
  return ADAPTERS[provider.kind];
}
