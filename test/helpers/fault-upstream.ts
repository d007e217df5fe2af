/**
 * A fault-injecting OpenAI-compatible upstream on 127.0.0.1: its usage object is raw JSON text (so
 * it can send fractions, negatives, 10^12 or 2^53 + 1 exactly as written), and it can stall a
 * buffered body after the headers or a stream after its first content.
 */
import { createServer, type Server } from 'node:http';

export type FaultMode =
  | { kind: 'ok' }
  /** Headers and the first bytes of the JSON body, then nothing. */
  | { kind: 'stall-body' }
  /** A role chunk and one content chunk, then nothing. */
  | { kind: 'stall-stream' };

export interface FaultUpstream {
  url: string;
  mode: FaultMode;
  /** The `usage` object as JSON text, sent as is. */
  usageJson: string;
  requests: number;
  /** Connections the router closed while this upstream was stalling. */
  abandoned: number;
  close(): Promise<void>;
}

export async function startFaultUpstream(): Promise<FaultUpstream> {
  const state: FaultUpstream = {
    url: '',
    mode: { kind: 'ok' },
    usageJson: '{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}',
    requests: 0,
    abandoned: 0,
    close: async () => undefined,
  };
  const server: Server = createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    const body = JSON.parse(raw || '{}');
    state.requests++;
    const created = 1_700_000_000;
    const id = `chatcmpl-fault-${state.requests}`;
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (state.mode.kind === 'stall-body') {
        res.write('{"id":"stalled",');
        res.on('close', () => state.abandoned++);
        return;
      }
      const choice = { index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop', logprobs: null };
      res.end(
        `{"id":"${id}","object":"chat.completion","created":${created},"model":"${body.model}","choices":[${JSON.stringify(choice)}],"usage":${state.usageJson}}`,
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta: unknown, finish: string | null = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    res.write(chunk({ role: 'assistant', content: '' }));
    res.write(chunk({ content: 'ok' }));
    if (state.mode.kind === 'stall-stream') {
      res.on('close', () => state.abandoned++);
      return;
    }
    res.write(chunk({}, 'stop'));
    res.write(
      `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":"${body.model}","choices":[],"usage":${state.usageJson}}\n\n`,
    );
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}
