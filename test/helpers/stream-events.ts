/** Reading adapters' normalized streams in tests. */
import type { StreamEvent } from '../../lambdas/domain/ports';

export async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

/** Reassembles streamed chunks into one assistant message, the way OpenAI clients do. */
export function assemble(events: StreamEvent[]) {
  let content = '';
  const tools: Array<{ id?: string; name?: string; arguments: string }> = [];
  let finish: string | null = null;
  let role: string | undefined;
  for (const e of events) {
    if (e.type !== 'chunk') continue;
    const c = e.chunk.choices[0]!;
    role ??= c.delta.role;
    content += c.delta.content ?? '';
    for (const tc of c.delta.tool_calls ?? []) {
      tools[tc.index] ??= { arguments: '' };
      const t = tools[tc.index]!;
      if (tc.id) t.id = tc.id;
      if (tc.function?.name) t.name = tc.function.name;
      t.arguments += tc.function?.arguments ?? '';
    }
    if (c.finish_reason) finish = c.finish_reason;
  }
  return { role, content, tools, finish };
}
