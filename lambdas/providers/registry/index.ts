/**
 * The adapter registry: one entry per provider kind. Adding an OpenAI-compatible host needs
 * no code (a provider of kind `openai` in the config); a new wire format adds one folder here.
 */
import type { ProviderAdapter } from '../../domain/ports';
import type { ProviderKind, ProviderSettings } from '../../domain/provider';
import { anthropicAdapter } from '../anthropic';
import { bedrockAdapter } from '../bedrock';
import { geminiAdapter } from '../gemini';
import { mockAdapter } from '../mock';
import { openaiAdapter } from '../openai';

const ADAPTERS: Record<ProviderKind, ProviderAdapter> = {
  openai: openaiAdapter,
  anthropic: anthropicAdapter,
  bedrock: bedrockAdapter,
  gemini: geminiAdapter,
  mock: mockAdapter,
};

export function adapterFor(provider: ProviderSettings): ProviderAdapter {
  return ADAPTERS[provider.kind];
}
