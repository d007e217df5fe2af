/**
 * Request schemas of the OpenAI-compatible API, with OpenRouter's routing extensions
 * (`models`, `provider`). Validation failures become OpenAI-format 400 errors naming the
 * parameter; messages never quote the request's content.
 */
import * as z from 'zod';
import { RouterError } from './errors';
import { jsonBoundsProblem, MAX_BODY_DEPTH, MAX_BODY_NODES, MAX_FIELD_DEPTH, MAX_SCHEMA_CHARS } from './json-bounds';
import { lazy } from './lazy';

/** A free-form JSON field within depth and size bounds (measured without recursion): a 400 otherwise. */
export function boundedJson<T extends z.ZodType>(schema: T, chars: number, depth = MAX_FIELD_DEPTH) {
  return schema.superRefine((v, ctx) => {
    const problem = jsonBoundsProblem(v, { depth, chars });
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** A free-form JSON Schema (tool parameters, response formats, Anthropic input_schema); built on first use. */
export const jsonSchemaObject = lazy(() => boundedJson(z.record(z.string(), z.unknown()), MAX_SCHEMA_CHARS));

/** Output tokens a request may ask for: above every model's output cap, below anything absurd. */
export const MAX_OUTPUT_TOKENS = 1_048_576;
/** Embedding dimensions a request may ask for (the largest common models have 3072-4096). */
export const MAX_EMBEDDING_DIMENSIONS = 8192;

/** OpenRouter's provider-routing object. */
export const providerPreferences = lazy(() => {
  const priceLimit = z.number().nonnegative();
  return z
    .object({
      order: z.array(z.string()).optional(),
      only: z.array(z.string()).optional(),
      ignore: z.array(z.string()).optional(),
      sort: z.enum(['price', 'latency', 'throughput']).optional(),
      max_price: z
        .object({ prompt: priceLimit.optional(), completion: priceLimit.optional(), request: priceLimit.optional() })
        .strict()
        .optional(),
      allow_fallbacks: z.boolean().optional(),
      data_collection: z.enum(['allow', 'deny']).optional(),
      require_parameters: z.boolean().optional(),
    })
    .strict();
});
export type ProviderPreferences = z.infer<ReturnType<typeof providerPreferences>>;

/** The `reasoning_effort` values of the official SDK's types. */
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'] as const;

/** A small free-form object (options forwarded as sent to the kinds that take them). */
const freeForm = lazy(() => boundedJson(z.record(z.string(), z.unknown()), 16_384));

/** A model name in a request. */
const modelName = lazy(() => z.string().min(1).max(256));

/** The chat completion schemas, built on first use (the first chat request, not the import). */
const chatSchemas = lazy(() => {
  const textPart = z.object({ type: z.literal('text'), text: z.string() });
  const imagePart = z.object({
    type: z.literal('image_url'),
    image_url: z.object({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() }),
  });
  const audioPart = z.object({
    type: z.literal('input_audio'),
    input_audio: z.object({ data: z.string(), format: z.enum(['wav', 'mp3']) }),
  });
  // file_id refers to OpenAI's Files API, which a multi-provider router cannot resolve; files travel inline.
  const filePart = z.object({
    type: z.literal('file'),
    file: z
      .object({
        file_data: z.string().min(1, 'send the file inline as file_data; file_id is not supported'),
        filename: z.string().optional(),
      })
      .strict(),
  });
  const refusalPart = z.object({ type: z.literal('refusal'), refusal: z.string() });

  const userContentPart = z.discriminatedUnion('type', [textPart, imagePart, audioPart, filePart]);

  const toolCall = z.object({
    id: z.string().min(1),
    type: z.literal('function'),
    function: z.object({ name: z.string().min(1), arguments: z.string() }),
  });

  const systemMessage = z.object({
    role: z.enum(['system', 'developer']),
    content: z.union([z.string(), z.array(textPart).min(1)]),
    name: z.string().optional(),
  });
  const userMessage = z.object({
    role: z.literal('user'),
    content: z.union([z.string(), z.array(userContentPart).min(1)]),
    name: z.string().optional(),
  });
  const assistantMessage = z
    .object({
      role: z.literal('assistant'),
      content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textPart, refusalPart])), z.null()]).optional(),
      name: z.string().optional(),
      refusal: z.string().nullable().optional(),
      tool_calls: z.array(toolCall).optional(),
    })
    .refine((m) => (m.content !== undefined && m.content !== null) || (m.tool_calls?.length ?? 0) > 0, {
      message: 'an assistant message needs content or tool_calls',
    });
  const toolMessage = z.object({
    role: z.literal('tool'),
    content: z.union([z.string(), z.array(textPart).min(1)]),
    tool_call_id: z.string().min(1),
  });

  const chatMessage = z.discriminatedUnion('role', [systemMessage, userMessage, assistantMessage, toolMessage]);

  const functionTool = z.object({
    type: z.literal('function'),
    function: z.object({
      name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'tool names are 1-64 letters, digits, underscores or dashes'),
      description: z.string().optional(),
      parameters: jsonSchemaObject().optional(),
      strict: z.boolean().nullable().optional(),
    }),
  });

  const toolChoice = z.union([
    z.enum(['none', 'auto', 'required']),
    z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
  ]);

  const responseFormat = z.discriminatedUnion('type', [
    z.object({ type: z.literal('text') }),
    z.object({ type: z.literal('json_object') }),
    z.object({
      type: z.literal('json_schema'),
      json_schema: z.object({
        name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
        description: z.string().optional(),
        schema: jsonSchemaObject().optional(),
        strict: z.boolean().nullable().optional(),
      }),
    }),
  ]);

  const chatRequest = z
    .object({
      model: modelName(),
      models: z.array(modelName()).min(1).max(10).optional(),
      provider: providerPreferences().optional(),
      messages: z.array(chatMessage).min(1),
      stream: z.boolean().nullable().optional(),
      stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
      max_tokens: z.number().int().positive().max(MAX_OUTPUT_TOKENS).nullable().optional(),
      max_completion_tokens: z.number().int().positive().max(MAX_OUTPUT_TOKENS).nullable().optional(),
      temperature: z.number().min(0).max(2).nullable().optional(),
      top_p: z.number().min(0).max(1).nullable().optional(),
      n: z.number().int().min(1).max(128).nullable().optional(),
      stop: z
        .union([z.string(), z.array(z.string()).max(4)])
        .nullable()
        .optional(),
      presence_penalty: z.number().min(-2).max(2).nullable().optional(),
      frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
      seed: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).nullable().optional(),
      user: z.string().max(256).optional(),
      tools: z.array(functionTool).max(128).optional(),
      tool_choice: toolChoice.optional(),
      parallel_tool_calls: z.boolean().optional(),
      response_format: responseFormat.optional(),
      logit_bias: z
        .record(z.string().max(16), z.number().min(-100).max(100))
        .refine((m) => Object.keys(m).length <= 1024, 'has more than 1024 entries')
        .nullable()
        .optional(),
      reasoning_effort: z.enum(REASONING_EFFORTS).nullable().optional(),
      // Parameters only some provider kinds take (domain/chat-params.ts): forwarded there, refused by name elsewhere.
      logprobs: z.boolean().nullable().optional(),
      top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
      service_tier: z.enum(['auto', 'default', 'flex', 'scale', 'priority']).nullable().optional(),
      prompt_cache_key: z.string().max(1024).nullable().optional(),
      prompt_cache_retention: z.enum(['in_memory', '24h']).nullable().optional(),
      prompt_cache_options: freeForm().nullable().optional(),
      safety_identifier: z.string().max(256).nullable().optional(),
      verbosity: z.enum(['low', 'medium', 'high']).nullable().optional(),
      prediction: z
        .object({ type: z.literal('content'), content: z.union([z.string(), z.array(textPart)]) })
        .nullable()
        .optional(),
      modalities: z
        .array(z.enum(['text', 'audio']))
        .max(2)
        .nullable()
        .optional(),
      audio: freeForm().nullable().optional(),
      web_search_options: freeForm().nullable().optional(),
      moderation: freeForm().nullable().optional(),
      store: z.boolean().nullable().optional(),
      metadata: z
        .record(z.string().max(64), z.string().max(512))
        .refine((m) => Object.keys(m).length <= 16, 'has more than 16 entries')
        .nullable()
        .optional(),
      // OpenAI's deprecated function calling (before tools).
      functions: z.array(freeForm()).max(128).optional(),
      function_call: z.union([z.enum(['none', 'auto']), freeForm()]).optional(),
    })
    .superRefine((r, ctx) => {
      if (r.tool_choice && typeof r.tool_choice === 'object') {
        const name = r.tool_choice.function.name;
        if (!r.tools?.some((t) => t.function.name === name))
          ctx.addIssue({ code: 'custom', path: ['tool_choice'], message: `tool_choice names a function that is not in tools` });
      }
      if ((r.tool_choice === 'required' || typeof r.tool_choice === 'object') && !r.tools?.length)
        ctx.addIssue({ code: 'custom', path: ['tool_choice'], message: 'tool_choice requires tools' });
      if (r.stream_options && !r.stream)
        ctx.addIssue({ code: 'custom', path: ['stream_options'], message: 'stream_options is only allowed when stream is true' });
    });
  return { userContentPart, chatMessage, functionTool, chatRequest };
});

/** The chat completion request schema. */
export const chatRequestSchema = () => chatSchemas().chatRequest;
type ChatSchemas = ReturnType<typeof chatSchemas>;
export type UserContentPart = z.infer<ChatSchemas['userContentPart']>;
export type ChatMessage = z.infer<ChatSchemas['chatMessage']>;
export type FunctionTool = z.infer<ChatSchemas['functionTool']>;

/** A validated chat completion request. */
export type ChatRequest = z.infer<ReturnType<typeof chatRequestSchema>>;

/** The embeddings request schema, built on first use. */
export const embeddingsRequestSchema = lazy(() => {
  /** A token id in an embeddings input (vocabularies are far below 2^32). */
  const tokenId = z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 32);
  return z.object({
    model: modelName(),
    models: z.array(modelName()).min(1).max(10).optional(),
    provider: providerPreferences().optional(),
    input: z.union([
      z.string(),
      z.array(z.string()).min(1).max(2048),
      z.array(tokenId).min(1),
      z.array(z.array(tokenId).min(1)).min(1).max(2048),
    ]),
    encoding_format: z.enum(['float', 'base64']).optional(),
    dimensions: z.number().int().positive().max(MAX_EMBEDDING_DIMENSIONS).optional(),
    user: z.string().max(256).optional(),
  });
});
export type EmbeddingsRequest = z.infer<ReturnType<typeof embeddingsRequestSchema>>;

/**
 * Parses a request body against a schema, turning the first issue into an OpenAI-format 400.
 * The message names the parameter and the rule, never the offending value.
 */
export function validate<T>(schema: z.ZodType<T> | (() => z.ZodType<T>), body: unknown): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw RouterError.invalidRequest('Request body must be a JSON object.');
  }
  // Before anything walks the body: a depth or size bomb anywhere (typed field or not) is a 400.
  const problem = jsonBoundsProblem(body, { depth: MAX_BODY_DEPTH, nodes: MAX_BODY_NODES });
  if (problem) throw RouterError.invalidRequest(`Request body ${problem}.`, null, 'invalid_value');
  const result = (typeof schema === 'function' ? schema() : schema).safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    // Name the key when it is a parameter some API defines (`provider.zdr`), never a key only this
    // request made up: a key is request content and could carry anything (policy §2).
    const keys = issue.keys.map((k) => formatPath([...issue.path, KNOWN_PARAMETERS.has(k) ? k : '[key]']));
    const where = issue.path.length ? formatPath(issue.path) : 'body';
    throw RouterError.invalidRequest(
      `Invalid parameter ${where}: unrecognized ${keys.length === 1 ? 'key' : 'keys'} ${keys.join(', ')}.`,
      keys[0] ?? null,
      'unknown_parameter',
    );
  }
  const param = issue.path.length ? formatPath(issue.path) : null;
  // zod does not say whether a value was absent or wrong; look at the body itself.
  const missing = issue.code === 'invalid_type' && valueAt(body, issue.path) === undefined;
  const code = missing ? 'missing_required_parameter' : 'invalid_value';
  throw RouterError.invalidRequest(`Invalid parameter ${param ?? 'body'}: ${missing ? 'is required' : describeIssue(issue)}.`, param, code);
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = body;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Path segments that are not parameter names (keys of free-form maps such as logit_bias) are not echoed. */
const PARAM_NAME = /^[a-z_][a-z0-9_]{0,63}$/i;

/**
 * Parameter names other APIs define (OpenAI, OpenRouter, Anthropic) that a request may send and this
 * router does not take: an unrecognized key is named in the error only if it is one of these.
 */
const KNOWN_PARAMETERS: ReadonlySet<string> = new Set(
  'zdr quantizations preferred_max_latency preferred_min_throughput max_price sort require_parameters enforce_distillable_text experimental reasoning usage transforms top_k top_a min_p repetition_penalty plugins route models provider thinking documents cache_control citations container mcp_servers betas service_tier prompt_cache_key safety_identifier verbosity prediction modalities audio web_search_options user metadata frequency_penalty presence_penalty logit_bias logprobs top_logprobs n seed stop stream stream_options response_format tools tool_choice parallel_tool_calls functions function_call max_tokens max_completion_tokens temperature top_p store reasoning_effort system stop_sequences messages model'.split(
    ' ',
  ),
);

/** Free-form maps whose keys are never echoed, even when a key looks like a parameter name. */
const FREE_FORM_MAPS = new Set<PropertyKey>(['logit_bias', 'metadata']);

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p, i) => {
    if (typeof p === 'number') return `${acc}[${p}]`;
    const name = typeof p === 'string' && PARAM_NAME.test(p) && !FREE_FORM_MAPS.has(path[i - 1] ?? '') ? p : '[key]';
    return acc ? `${acc}.${name}` : name;
  }, '');
}

// zod's default messages for these codes can quote the received value; say only what was expected.
function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      return 'does not match any allowed shape';
    case 'unrecognized_keys':
      return `has ${issue.keys.length} unrecognized key(s)`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}${issue.origin === 'array' ? ' item(s)' : issue.origin === 'string' ? ' character(s)' : ''}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${issue.origin === 'array' ? ' item(s)' : issue.origin === 'string' ? ' character(s)' : ''}`;
    case 'invalid_format':
      return issue.format === 'regex' ? 'has an invalid format' : `must be a valid ${issue.format}`;
    default:
      return issue.message;
  }
}
