/**
 * The chat parameters that not every provider kind can express, as data: which kinds forward each
 * one, and when a request counts as using it (a parameter left at its default asks for nothing).
 * Routing skips an offer whose kind cannot take a parameter the request uses (OpenRouter's
 * `require_parameters` semantics, always on); when no offer is left, the 400 names the parameter.
 * No parameter is ever dropped on the way: OpenAI-compatible upstreams get the request as sent.
 */
import type { ChatRequest } from './chat-request';
import type { ProviderKind } from './provider';

export interface ParameterSupport {
  /** Kinds whose adapters forward (or translate) the parameter. */
  readonly kinds: readonly ProviderKind[];
  /** Whether the request uses it: set to something other than its no-op value. */
  readonly used: (request: ChatRequest) => boolean;
  /** Why no kind takes it, when none does (the 400 says so instead of naming offers). */
  readonly refusal?: string;
}

const set = (v: unknown) => v !== undefined && v !== null;
const PASS_THROUGH: readonly ProviderKind[] = ['openai'];

/** Parameter → the provider kinds that support it. Parameters every kind takes are not listed. */
export const PARAMETER_SUPPORT = {
  seed: { kinds: ['openai', 'gemini'], used: (r) => set(r.seed) },
  presence_penalty: { kinds: ['openai', 'gemini'], used: (r) => set(r.presence_penalty) && r.presence_penalty !== 0 },
  frequency_penalty: { kinds: ['openai', 'gemini'], used: (r) => set(r.frequency_penalty) && r.frequency_penalty !== 0 },
  // Anthropic has disable_parallel_tool_use; the mock never makes more than one call.
  parallel_tool_calls: {
    kinds: ['openai', 'anthropic', 'mock'],
    used: (r) => r.parallel_tool_calls === false && (r.tools?.length ?? 0) > 0,
  },
  logit_bias: { kinds: PASS_THROUGH, used: (r) => set(r.logit_bias) && Object.keys(r.logit_bias!).length > 0 },
  logprobs: { kinds: PASS_THROUGH, used: (r) => r.logprobs === true },
  top_logprobs: { kinds: PASS_THROUGH, used: (r) => set(r.top_logprobs) },
  n: {
    kinds: [],
    used: (r) => (r.n ?? 1) > 1,
    // Metering, usage bounds and budget reservations count one choice per request.
    refusal: 'n: the router answers with one choice per request; send n: 1 (or leave it out) and make parallel requests',
  },
  store: {
    kinds: [],
    used: (r) => r.store === true,
    refusal: 'store: the router asks no provider to keep a completion; send store: false (or leave it out)',
  },
  metadata: { kinds: PASS_THROUGH, used: (r) => set(r.metadata) },
  reasoning_effort: { kinds: PASS_THROUGH, used: (r) => set(r.reasoning_effort) },
  service_tier: { kinds: PASS_THROUGH, used: (r) => set(r.service_tier) && r.service_tier !== 'auto' },
  prompt_cache_key: { kinds: PASS_THROUGH, used: (r) => set(r.prompt_cache_key) },
  prompt_cache_retention: { kinds: PASS_THROUGH, used: (r) => set(r.prompt_cache_retention) },
  prompt_cache_options: { kinds: PASS_THROUGH, used: (r) => set(r.prompt_cache_options) },
  safety_identifier: { kinds: PASS_THROUGH, used: (r) => set(r.safety_identifier) },
  verbosity: { kinds: PASS_THROUGH, used: (r) => set(r.verbosity) },
  prediction: { kinds: PASS_THROUGH, used: (r) => set(r.prediction) },
  modalities: { kinds: PASS_THROUGH, used: (r) => set(r.modalities) && r.modalities!.some((m) => m !== 'text') },
  audio: { kinds: PASS_THROUGH, used: (r) => set(r.audio) },
  web_search_options: { kinds: PASS_THROUGH, used: (r) => set(r.web_search_options) },
  moderation: { kinds: PASS_THROUGH, used: (r) => set(r.moderation) },
  functions: { kinds: PASS_THROUGH, used: (r) => (r.functions?.length ?? 0) > 0 },
  function_call: { kinds: PASS_THROUGH, used: (r) => set(r.function_call) },
} as const satisfies Record<string, ParameterSupport>;

export type KindLimitedParameter = keyof typeof PARAMETER_SUPPORT;

/**
 * The kind-limited parameters a request uses.
 *
 * @example
 * parametersUsed({ model: 'm', messages, logprobs: true, n: 1 }) // ['logprobs']
 */
export function parametersUsed(request: ChatRequest): KindLimitedParameter[] {
  return (Object.keys(PARAMETER_SUPPORT) as KindLimitedParameter[]).filter((p) => (PARAMETER_SUPPORT[p] as ParameterSupport).used(request));
}

/** Whether a kind can take the parameter. */
export const kindSupports = (kind: ProviderKind, parameter: KindLimitedParameter): boolean =>
  (PARAMETER_SUPPORT[parameter].kinds as readonly ProviderKind[]).includes(kind);
