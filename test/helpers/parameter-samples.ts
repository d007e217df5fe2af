/** A value that uses each kind-limited chat parameter (domain/chat-params.ts), as the official SDK's types allow it. */
import type { KindLimitedParameter } from '../../lambdas/domain/chat-params';

export const PARAMETER_SAMPLES: Readonly<Record<KindLimitedParameter, unknown>> = {
  seed: 42,
  presence_penalty: 0.5,
  frequency_penalty: -0.5,
  parallel_tool_calls: false,
  logit_bias: { '50256': -100 },
  logprobs: true,
  top_logprobs: 2,
  n: 2,
  store: true,
  metadata: { team: 'search' },
  reasoning_effort: 'xhigh',
  service_tier: 'flex',
  prompt_cache_key: 'tenant-42',
  prompt_cache_retention: '24h',
  prompt_cache_options: { mode: 'explicit', ttl: '30m' },
  safety_identifier: 'user-hash-1',
  verbosity: 'low',
  prediction: { type: 'content', content: 'draft answer' },
  modalities: ['text', 'audio'],
  audio: { format: 'mp3', voice: 'alloy' },
  web_search_options: { search_context_size: 'low' },
  moderation: { policy: { input: { mode: 'block' } } },
  functions: [{ name: 'lookup', parameters: { type: 'object', properties: {} } }],
  function_call: 'auto',
};

/** The parameters no provider kind takes (refused everywhere, with the reason). */
export const REFUSED_EVERYWHERE: readonly KindLimitedParameter[] = ['n', 'store'];

/** What else a request needs for the parameter to count (parallel_tool_calls asks for something only with tools). */
export const SAMPLE_CONTEXT: Partial<Record<KindLimitedParameter, Record<string, unknown>>> = {
  parallel_tool_calls: {
    tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
  },
};

/** A request body's fields that use `param`. */
export const usingParameter = (param: KindLimitedParameter): Record<string, unknown> => ({
  ...SAMPLE_CONTEXT[param],
  [param]: PARAMETER_SAMPLES[param],
});
