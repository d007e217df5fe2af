/**
 * The chat pipeline's typed stream events → Anthropic's streaming events: message_start, then per
 * content block content_block_start / content_block_delta (text_delta, input_json_delta) /
 * content_block_stop, then message_delta (stop reason and the exchange's usage) and message_stop.
 * A failure after the first byte becomes an `event: error`, never a clean-looking end.
 */

import type { ChatCompletionChunk, FinishReason, OpenAIUsage } from '../../domain/openai';
import type { ChatEvent } from '../outcome';
import { messageId, toAnthropicUsage } from './response';
import { stopReasonOut } from './tables';

/** One Anthropic SSE frame. Every frame names its event: the Anthropic SDKs skip frames that do not. */
export const frame = (event: { type: string } & Record<string, unknown>) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

type OpenBlock = { kind: 'text' } | { kind: 'tool'; openAIIndex: number };

/**
 * Translates the events of one chat stream, in order. Tool calls are assumed to
 * stream one after another (as OpenAI and the router's adapters do); each becomes one tool_use block.
 */
export class AnthropicStreamWriter {
  private started = false;
  private index = -1;
  private open: OpenBlock | undefined;
  private finish: FinishReason | null = null;
  private usage: OpenAIUsage | undefined;
  /** True once message_stop or an error event was produced. */
  ended = false;

  /** The frames one stream event produces. */
  handle(event: ChatEvent): string[] {
    if (this.ended) return [];
    if (event.type === 'done') return this.done();
    if (event.type === 'error') return this.fail(event.message);
    const chunk = event.chunk;
    const out = this.start(chunk);
    if (chunk.usage) this.usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      const d = choice.delta;
      if (d.content) {
        if (this.open?.kind !== 'text') out.push(...this.openBlock({ kind: 'text' }, { type: 'text', text: '' }));
        out.push(frame({ type: 'content_block_delta', index: this.index, delta: { type: 'text_delta', text: d.content } }));
      }
      for (const t of d.tool_calls ?? []) {
        const current = this.open?.kind === 'tool' && this.open.openAIIndex === t.index;
        if (!current || t.id) {
          out.push(
            ...this.openBlock(
              { kind: 'tool', openAIIndex: t.index },
              { type: 'tool_use', id: t.id ?? '', name: t.function?.name ?? '', input: {} },
            ),
          );
        }
        if (t.function?.arguments)
          out.push(
            frame({
              type: 'content_block_delta',
              index: this.index,
              delta: { type: 'input_json_delta', partial_json: t.function.arguments },
            }),
          );
      }
      if (choice.finish_reason) this.finish = choice.finish_reason;
    }
    return out;
  }

  /** The frames for the end of the stream: close the open block, report the stop reason and usage. */
  private done(): string[] {
    const out = this.start(undefined);
    out.push(...this.closeBlock());
    out.push(
      frame({
        type: 'message_delta',
        delta: { stop_reason: stopReasonOut(this.finish), stop_sequence: null },
        usage: toAnthropicUsage(this.usage),
      }),
    );
    out.push(frame({ type: 'message_stop' }));
    this.ended = true;
    return out;
  }

  private fail(message: string): string[] {
    this.ended = true;
    return [frame({ type: 'error', error: { type: 'api_error', message } })];
  }

  private start(chunk: ChatCompletionChunk | undefined): string[] {
    if (this.started) return [];
    this.started = true;
    const message = {
      id: messageId(chunk?.id ?? ''),
      type: 'message',
      role: 'assistant',
      model: chunk?.model ?? '',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // Input counts are known only when the upstream reports usage: message_delta carries them.
      usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      ...(chunk?.provider ? { provider: chunk.provider } : {}),
    };
    return [frame({ type: 'message_start', message })];
  }

  private openBlock(block: OpenBlock, contentBlock: Record<string, unknown>): string[] {
    const out = this.closeBlock();
    this.index++;
    this.open = block;
    out.push(frame({ type: 'content_block_start', index: this.index, content_block: contentBlock }));
    return out;
  }

  private closeBlock(): string[] {
    if (!this.open) return [];
    this.open = undefined;
    return [frame({ type: 'content_block_stop', index: this.index })];
  }
}

/**
 * Renders a chat stream as Anthropic SSE. If the client goes away, returning this generator
 * returns the source too, so the upstream call is stopped and metered as closed.
 */
export async function* toAnthropicStream(source: AsyncIterable<ChatEvent>): AsyncGenerator<string> {
  const writer = new AnthropicStreamWriter();
  for await (const event of source) for (const f of writer.handle(event)) yield f;
}
