/**
 * The Anthropic Messages request the router accepts on POST /v1/messages
 * (https://docs.anthropic.com/en/api/messages), plus the router's routing extensions
 * (`models`, `provider`). Validation errors name Anthropic's parameters, never their values.
 */
import * as z from 'zod';
import { boundedJson, jsonSchemaObject, MAX_OUTPUT_TOKENS, providerPreferences } from '../../domain/chat-request';
import { MAX_SCHEMA_CHARS, MAX_TOOL_INPUT_CHARS } from '../../domain/json-bounds';
import { lazy } from '../../domain/lazy';

/** The Messages schemas, built on first use (the first /v1/messages request, not the import). */
const schemas = lazy(() => {
  /** Accepted and ignored: providers behind the router cache prompts on their own terms. */
  const cacheControl = z.object({ type: z.literal('ephemeral'), ttl: z.enum(['5m', '1h']).optional() }).optional();

  const textBlock = z.object({
    type: z.literal('text'),
    text: z.string(),
    cache_control: cacheControl,
    citations: boundedJson(z.array(z.unknown()), MAX_SCHEMA_CHARS).nullable().optional(),
  });
  const imageSource = z.discriminatedUnion('type', [
    z.object({ type: z.literal('base64'), media_type: z.string().min(1), data: z.string().min(1) }),
    z.object({ type: z.literal('url'), url: z.string().min(1) }),
  ]);
  const imageBlock = z.object({ type: z.literal('image'), source: imageSource, cache_control: cacheControl });
  const toolUseBlock = z.object({
    type: z.literal('tool_use'),
    id: z.string().min(1),
    name: z.string().min(1),
    input: boundedJson(z.record(z.string(), z.unknown()), MAX_TOOL_INPUT_CHARS),
    cache_control: cacheControl,
  });
  const toolResultBlock = z.object({
    type: z.literal('tool_result'),
    tool_use_id: z.string().min(1),
    content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textBlock, imageBlock]))]).optional(),
    is_error: z.boolean().optional(),
    cache_control: cacheControl,
  });
  /** Earlier extended-thinking turns sent back by a client; the router drops them (no OpenAI equivalent). */
  const thinkingBlock = z.object({ type: z.literal('thinking'), thinking: z.string(), signature: z.string() });
  const redactedThinkingBlock = z.object({ type: z.literal('redacted_thinking'), data: z.string() });

  const inboundBlock = z.discriminatedUnion('type', [
    textBlock,
    imageBlock,
    toolUseBlock,
    toolResultBlock,
    thinkingBlock,
    redactedThinkingBlock,
  ]);

  const message = z.object({ role: z.enum(['user', 'assistant']), content: z.union([z.string(), z.array(inboundBlock)]) });

  const tool = z.object({
    type: z.literal('custom').optional(),
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'tool names are 1-64 letters, digits, underscores or dashes'),
    description: z.string().optional(),
    input_schema: jsonSchemaObject(),
    cache_control: cacheControl,
  });

  const noParallel = { disable_parallel_tool_use: z.boolean().optional() };
  const toolChoice = z.discriminatedUnion('type', [
    z.object({ type: z.literal('auto'), ...noParallel }),
    z.object({ type: z.literal('any'), ...noParallel }),
    z.object({ type: z.literal('tool'), name: z.string().min(1), ...noParallel }),
    z.object({ type: z.literal('none') }),
  ]);

  const messagesRequest = z
    .object({
      model: z.string().min(1).max(256),
      models: z.array(z.string().min(1).max(256)).min(1).max(10).optional(),
      provider: providerPreferences().optional(),
      max_tokens: z.number().int().positive().max(MAX_OUTPUT_TOKENS),
      messages: z.array(message).min(1),
      system: z.union([z.string(), z.array(textBlock)]).optional(),
      stop_sequences: z.array(z.string()).max(4).optional(),
      temperature: z.number().min(0).max(1).optional(),
      top_p: z.number().min(0).max(1).optional(),
      /** Accepted and not forwarded: OpenAI-format upstreams have no top_k. */
      top_k: z.number().int().nonnegative().max(1_000_000).optional(),
      stream: z.boolean().optional(),
      tools: z.array(tool).max(128).optional(),
      tool_choice: toolChoice.optional(),
      metadata: z
        .object({ user_id: z.string().max(256).nullable().optional() })
        .strict()
        .optional(),
      /** Only "disabled": extended thinking has no OpenAI-format equivalent. */
      thinking: z.object({ type: z.literal('disabled') }).optional(),
      service_tier: z.enum(['auto', 'standard_only']).optional(),
    })
    .strict()
    .superRefine((r, ctx) => {
      if (r.tool_choice?.type === 'tool' && !r.tools?.some((t) => t.name === (r.tool_choice as { name: string }).name))
        ctx.addIssue({ code: 'custom', path: ['tool_choice', 'name'], message: 'tool_choice names a tool that is not in tools' });
      if ((r.tool_choice?.type === 'any' || r.tool_choice?.type === 'tool') && !r.tools?.length)
        ctx.addIssue({ code: 'custom', path: ['tool_choice'], message: 'tool_choice requires tools' });
    });
  return { inboundBlock, message, toolChoice, messagesRequest };
});

/** The Messages request schema. */
export const messagesRequestSchema = () => schemas().messagesRequest;
type Schemas = ReturnType<typeof schemas>;
export type InboundBlock = z.infer<Schemas['inboundBlock']>;
export type InboundMessage = z.infer<Schemas['message']>;
export type InboundToolChoice = z.infer<Schemas['toolChoice']>;

/** A validated inbound Anthropic Messages request. */
export type MessagesRequest = z.infer<ReturnType<typeof messagesRequestSchema>>;
