/**
 * Presets for OpenAI-compatible hosts, served by the `openai` adapter kind. Adding such a host
 * is configuration: a provider entry names a preset, and the preset supplies the base URL, how
 * the key is sent, and the host's known deviations from OpenAI's API.
 */

import type { PresetId } from '../domain/provider';

/** How a host expects the API key. */
export type AuthStyle =
  /** `Authorization: Bearer <key>` (OpenAI and almost every compatible host). */
  | 'bearer'
  /** `api-key: <key>` (Azure OpenAI with key authentication). */
  | 'api-key-header';

/** A request parameter of OpenAI's chat API that a host rejects, so the adapter must drop it or refuse the request. */
export type DroppableParam =
  | 'logit_bias'
  | 'logprobs'
  | 'top_logprobs'
  | 'messages[].name'
  | 'parallel_tool_calls'
  | 'stream_options'
  | 'seed'
  | 'user';

export interface OpenAICompatiblePreset {
  /** Human-readable host name. */
  readonly label: string;
  /**
   * Base URL ending before `/chat/completions`. `{placeholders}` must be filled from the
   * provider config (`presetParams`), e.g. Azure's resource and deployment names.
   */
  readonly baseUrl: string;
  readonly auth: AuthStyle;
  /** Query parameters every request carries (Azure's `api-version`); config may override values. */
  readonly query?: Readonly<Record<string, string>>;
  /** Placeholders of `baseUrl` that the provider config must supply. */
  readonly requiredParams?: readonly string[];
  /** Parameters the host rejects with a 400: dropped when that changes nothing, else the offer is skipped for the request (openai/index.ts). */
  readonly dropParams?: readonly DroppableParam[];
  /** Whether `stream_options: {include_usage: true}` makes the host send usage in its last chunk. */
  readonly streamUsage: 'stream_options' | 'always';
  /** Where the host's API reference lives, and caveats. */
  readonly notes: string;
}

/**
 * The preset table. Keys are preset ids used in the router config.
 *
 * @example
 * const p = OPENAI_COMPATIBLE_PRESETS.groq; // { baseUrl: 'https://api.groq.com/openai/v1', auth: 'bearer', ... }
 */
export const OPENAI_COMPATIBLE_PRESETS = {
  openai: {
    label: 'OpenAI',
    baseUrl: 'https://api.openai.com/v1',
    auth: 'bearer',
    streamUsage: 'stream_options',
    notes: 'Reference implementation. Reasoning models require max_completion_tokens instead of max_tokens.',
  },
  'azure-openai': {
    label: 'Azure OpenAI',
    baseUrl: 'https://{resource}.openai.azure.com/openai/deployments/{deployment}',
    auth: 'api-key-header',
    query: { 'api-version': '2024-10-21' },
    requiredParams: ['resource', 'deployment'],
    streamUsage: 'stream_options',
    notes:
      'The deployment in the URL selects the model; the body `model` is ignored. api-version 2024-10-21 is the GA version that supports stream_options; newer preview versions can be set per provider. Entra ID (bearer) auth is not covered by this preset.',
  },
  groq: {
    label: 'Groq',
    baseUrl: 'https://api.groq.com/openai/v1',
    auth: 'bearer',
    dropParams: ['logprobs', 'top_logprobs', 'logit_bias', 'messages[].name'],
    streamUsage: 'stream_options',
    notes: 'console.groq.com/docs/openai: logprobs, logit_bias, top_logprobs and messages[].name return 400; n must be 1.',
  },
  together: {
    label: 'Together AI',
    baseUrl: 'https://api.together.xyz/v1',
    auth: 'bearer',
    streamUsage: 'always',
    notes: 'Sends usage on the final stream chunk.',
  },
  deepinfra: {
    label: 'DeepInfra',
    baseUrl: 'https://api.deepinfra.com/v1/openai',
    auth: 'bearer',
    streamUsage: 'stream_options',
    notes: 'OpenAI-compatible endpoint lives under /v1/openai.',
  },
  fireworks: {
    label: 'Fireworks AI',
    baseUrl: 'https://api.fireworks.ai/inference/v1',
    auth: 'bearer',
    streamUsage: 'always',
    notes: 'Model ids look like accounts/fireworks/models/<name>. Sends usage on the final stream chunk.',
  },
  mistral: {
    label: 'Mistral AI',
    baseUrl: 'https://api.mistral.ai/v1',
    auth: 'bearer',
    streamUsage: 'always',
    notes: 'Sends usage on the final stream chunk; its seed parameter is named random_seed (seed is not translated).',
  },
  openrouter: {
    label: 'OpenRouter',
    baseUrl: 'https://openrouter.ai/api/v1',
    auth: 'bearer',
    streamUsage: 'always',
    notes: 'Itself a router: its `provider` routing object must not be forwarded from our request unless intended.',
  },
} as const satisfies Record<PresetId, OpenAICompatiblePreset>;

/** A preset resolved for one provider: the final base URL, query and auth header. */
export interface ResolvedPreset {
  baseUrl: string;
  query: Record<string, string>;
  authHeader: (apiKey: string) => Record<string, string>;
}

/**
 * Fills a preset's placeholders and merges query overrides.
 * Throws if a required placeholder is missing (config validation should catch it first).
 *
 * @example
 * resolvePreset('azure-openai', { resource: 'acme', deployment: 'gpt-4o-mini' }).baseUrl
 * // 'https://acme.openai.azure.com/openai/deployments/gpt-4o-mini'
 */
export function resolvePreset(
  id: PresetId,
  params: Readonly<Record<string, string>> = {},
  queryOverrides: Readonly<Record<string, string>> = {},
): ResolvedPreset {
  const preset: OpenAICompatiblePreset = OPENAI_COMPATIBLE_PRESETS[id];
  const missing = (preset.requiredParams ?? []).filter((p) => !params[p]);
  if (missing.length) throw new Error(`preset "${id}" needs ${missing.map((m) => `"${m}"`).join(', ')}`);
  const baseUrl = preset.baseUrl.replace(/\{([a-z]+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  return {
    baseUrl,
    query: { ...(preset.query ?? {}), ...queryOverrides },
    authHeader: preset.auth === 'api-key-header' ? (key) => ({ 'api-key': key }) : (key) => ({ authorization: `Bearer ${key}` }),
  };
}
