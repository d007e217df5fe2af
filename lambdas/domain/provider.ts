/**
 * What the router knows of a provider without knowing its wire format: its kind, the settings an
 * adapter reads, and what each kind's adapter can express. The config schema (core/config.ts)
 * produces values of these shapes; adapters (providers/) consume them.
 */

export const PROVIDER_KINDS = ['openai', 'anthropic', 'bedrock', 'gemini', 'mock'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** OpenAI-compatible hosts with a preset (base URL, auth header, quirks) in providers/presets.ts. */
export const PRESET_IDS = ['openai', 'azure-openai', 'groq', 'together', 'deepinfra', 'fireworks', 'mistral', 'openrouter'] as const;
export type PresetId = (typeof PRESET_IDS)[number];

/** Request features a model or an offer supports. */
export interface Capabilities {
  tools: boolean;
  vision: boolean;
  jsonMode: boolean;
  structuredOutput: boolean;
}

const ALL: Capabilities = { tools: true, vision: true, jsonMode: true, structuredOutput: true };

/** What each provider kind's adapter can express; an offer never has a capability its kind lacks. */
export const KIND_CAPABILITIES: Readonly<Record<ProviderKind, Capabilities>> = {
  openai: ALL,
  // Anthropic Messages and Bedrock Converse have no JSON mode or response schema (see docs/PROVIDERS.md).
  anthropic: { tools: true, vision: true, jsonMode: false, structuredOutput: false },
  bedrock: { tools: true, vision: true, jsonMode: false, structuredOutput: false },
  gemini: ALL,
  mock: ALL,
};

/** A configured provider, as adapters see it. */
export interface ProviderSettings {
  id: string;
  kind: ProviderKind;
  baseUrl?: string;
  preset?: PresetId;
  presetParams?: Record<string, string>;
  query?: Record<string, string>;
  /** For kind bedrock: the AWS region of the endpoint. */
  region?: string;
  credential?: { env: string; secretField?: string };
  jurisdiction?: string;
  /** Bound on every wait of one upstream call (connect, headers, body, silence between stream events). */
  timeoutMs: number;
  dataCollection: 'allow' | 'deny';
}
