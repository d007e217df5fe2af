/**
 * Mock upstreams on 127.0.0.1 that speak the providers' wire formats: a loopback server
 * (HTTP/1.1, or cleartext HTTP/2 for the Bedrock Runtime client), helpers to write bodies in
 * small pieces and to encode AWS event-stream messages, and scripted upstreams that answer one
 * exchange — a text reply, or a tool call with fixed arguments — in the OpenAI, Anthropic,
 * Bedrock Converse and Gemini formats, streamed or not, with the usage the test gives them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createH2Server, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { EventStreamCodec } from '@smithy/core/event-streams';

export interface Recorded {
  path: string;
  headers: IncomingMessage['headers'] | Http2ServerRequest['headers'];
  body: Record<string, any>;
}

export type Req = IncomingMessage | Http2ServerRequest;
/** What the mock handlers use of a response, common to HTTP/1.1 and HTTP/2. */
export interface Res {
  writeHead(status: number, headers?: Record<string, string>): Res;
  write(chunk: string | Uint8Array): boolean;
  end(chunk?: string): void;
}

export type Handler = (req: Req, body: Record<string, any>, res: Res) => void;

export interface Upstream {
  url: string;
  recorded: Recorded[];
  close(): Promise<void>;
}

/**
 * A loopback server; the handler gets the parsed JSON body. Every request is recorded.
 * `http2` serves cleartext HTTP/2, which the Bedrock Runtime client speaks by default.
 */
export async function mockUpstream(handler: Handler, http2 = false): Promise<Upstream> {
  const recorded: Recorded[] = [];
  const onRequest = (req: Req, res: ServerResponse | Http2ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      const body = text ? (JSON.parse(text) as Record<string, any>) : {};
      recorded.push({ path: req.url ?? '', headers: req.headers, body });
      handler(req, body, res as unknown as Res);
    });
  };
  const sessions = new Set<Http2Session>();
  const server = http2 ? createH2Server(onRequest) : createServer(onRequest);
  if (http2) server.on('session', (s: Http2Session) => sessions.add(s).size && s.on('close', () => sessions.delete(s)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    recorded,
    close: () => {
      if ('closeAllConnections' in server) server.closeAllConnections();
      for (const s of sessions) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes a body in small pieces, so parsers see events (and UTF-8 characters) split across reads. */
export function writeSliced(res: Res, data: string | Uint8Array, size: number): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  for (let i = 0; i < bytes.length; i += size) res.write(bytes.subarray(i, i + size));
}

// --- AWS event stream (Bedrock ConverseStream) ------------------------------------------------
const codec = new EventStreamCodec(
  (bytes) => new TextDecoder().decode(bytes),
  (text) => new TextEncoder().encode(text),
);
const jsonBytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** One `event` message of an AWS event stream. */
export function eventMessage(eventType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: jsonBytes(payload),
  });
}

/** One `exception` message of an AWS event stream (a modeled error inside a 200 stream). */
export function exceptionMessage(exceptionType: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: exceptionType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'exception' },
    },
    body: jsonBytes({ message }),
  });
}

// --- The scripted exchange --------------------------------------------------------------------

/** The reply every scripted upstream gives, whatever its wire format. */
export const SCRIPT = {
  text: ['The', ' answer', ' is', ' forty', '-two', '.'],
  /** Compact JSON, so a provider that returns arguments as an object re-serializes to the same bytes. */
  toolArgs: '{"city":"Zürich","unit":"celsius","note":"ünïcødé ✓"}',
  toolId: 'call_e2e_1',
} as const;

/** Cuts the tool arguments at awkward places (inside a word, right after a multi-byte character). */
export const argPieces = (args: string = SCRIPT.toolArgs) => [args.slice(0, 3), args.slice(3, 11), args.slice(11, 40), args.slice(40)];

/** What the request asked for: the name of the tool to call, or undefined for a text reply. */
export interface Ask {
  tool?: string;
}

const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;

/** A scripted wire format: how to read the request, and the buffered and streamed replies. */
export interface Wire {
  /** The upstream model and whether the reply streams, from the request. */
  target(req: Req, body: Record<string, any>): { model: string; stream: boolean };
  /** The request path the adapter must call, for a model and mode. */
  path(model: string, stream: boolean): string;
  /** The credential the request must carry. */
  authorized(req: Req): boolean;
  ask(body: Record<string, any>): Ask;
  buffered(ask: Ask, model: string, usage: Record<string, unknown>): string;
  streamed(ask: Ask, model: string, usage: Record<string, unknown>): string | Uint8Array;
  contentType: string;
  /** HTTP/2 (Bedrock). */
  http2?: boolean;
}

const fromBody = (_req: Req, b: Record<string, any>) => ({ model: String(b.model), stream: b.stream === true });

export const openaiWire: Wire = {
  target: fromBody,
  path: () => '/v1/chat/completions',
  authorized: (req) => req.headers.authorization === 'Bearer sk-oai-test',
  ask: (b) => (b.tools?.length && b.messages?.at(-1)?.role !== 'tool' ? { tool: b.tools[0].function.name } : {}),
  contentType: 'text/event-stream',
  buffered: (ask, model, usage) =>
    JSON.stringify({
      id: 'chatcmpl-oai-1',
      object: 'chat.completion',
      created: 1_700_000_000,
      model,
      choices: [
        {
          index: 0,
          message: ask.tool
            ? {
                role: 'assistant',
                content: null,
                tool_calls: [{ id: SCRIPT.toolId, type: 'function', function: { name: ask.tool, arguments: SCRIPT.toolArgs } }],
              }
            : { role: 'assistant', content: SCRIPT.text.join('') },
          finish_reason: ask.tool ? 'tool_calls' : 'stop',
          logprobs: null,
        },
      ],
      usage,
    }),
  streamed: (ask, model, usage) => {
    const chunk = (delta: unknown, finish: string | null = null) => ({
      id: 'chatcmpl-oai-1',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const out = [sse(chunk({ role: 'assistant', content: '' }))];
    if (ask.tool) {
      out.push(
        sse(chunk({ tool_calls: [{ index: 0, id: SCRIPT.toolId, type: 'function', function: { name: ask.tool, arguments: '' } }] })),
      );
      for (const a of argPieces()) out.push(sse(chunk({ tool_calls: [{ index: 0, function: { arguments: a } }] })));
    } else for (const t of SCRIPT.text) out.push(sse(chunk({ content: t })));
    out.push(sse(chunk({}, ask.tool ? 'tool_calls' : 'stop')));
    out.push(
      sse({ id: 'chatcmpl-oai-1', object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [], usage }),
      'data: [DONE]\n\n',
    );
    return out.join('');
  },
};

const lastIsToolResult = (messages: any[] | undefined, isResult: (block: any) => boolean) => {
  const content = messages?.at(-1)?.content;
  return Array.isArray(content) && content.some(isResult);
};

export const anthropicWire: Wire = {
  target: fromBody,
  path: () => '/v1/messages',
  authorized: (req) => req.headers['x-api-key'] === 'sk-ant-test' && req.headers['anthropic-version'] === '2023-06-01',
  ask: (b) => (b.tools?.length && !lastIsToolResult(b.messages, (c) => c.type === 'tool_result') ? { tool: b.tools[0].name } : {}),
  contentType: 'text/event-stream',
  buffered: (ask, model, usage) =>
    JSON.stringify({
      id: 'msg_e2e',
      type: 'message',
      role: 'assistant',
      model,
      content: ask.tool
        ? [{ type: 'tool_use', id: SCRIPT.toolId, name: ask.tool, input: JSON.parse(SCRIPT.toolArgs) }]
        : [{ type: 'text', text: SCRIPT.text.join('') }],
      stop_reason: ask.tool ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage,
    }),
  streamed: (ask, model, usage) => {
    const { output_tokens, ...input } = usage;
    const out = [
      sse(
        {
          type: 'message_start',
          message: {
            id: 'msg_e2e',
            type: 'message',
            role: 'assistant',
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { ...input, output_tokens: 1 },
          },
        },
        'message_start',
      ),
    ];
    out.push(sse({ type: 'ping' }, 'ping'));
    if (ask.tool) {
      out.push(
        sse(
          { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: SCRIPT.toolId, name: ask.tool, input: {} } },
          'content_block_start',
        ),
      );
      for (const a of ['', ...argPieces()])
        out.push(
          sse({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: a } }, 'content_block_delta'),
        );
    } else {
      out.push(sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'));
      for (const t of SCRIPT.text)
        out.push(sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } }, 'content_block_delta'));
    }
    out.push(sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'));
    out.push(
      sse(
        {
          type: 'message_delta',
          delta: { stop_reason: ask.tool ? 'tool_use' : 'end_turn', stop_sequence: null },
          usage: { output_tokens },
        },
        'message_delta',
      ),
    );
    out.push(sse({ type: 'message_stop' }, 'message_stop'));
    return out.join('');
  },
};

export const bedrockWire: Wire = {
  http2: true,
  target: (req) => {
    const m = /^\/model\/([^/]+)\/(converse|converse-stream)$/.exec(req.url ?? '');
    return { model: decodeURIComponent(m?.[1] ?? ''), stream: m?.[2] === 'converse-stream' };
  },
  path: (model, stream) => `/model/${encodeURIComponent(model)}/${stream ? 'converse-stream' : 'converse'}`,
  authorized: (req) => String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 Credential=AKIDTEST/'),
  ask: (b) =>
    b.toolConfig?.tools?.length && !lastIsToolResult(b.messages, (c) => 'toolResult' in c)
      ? { tool: b.toolConfig.tools[0].toolSpec.name }
      : {},
  contentType: 'application/vnd.amazon.eventstream',
  buffered: (ask, _model, usage) =>
    JSON.stringify({
      output: {
        message: {
          role: 'assistant',
          content: ask.tool
            ? [{ toolUse: { toolUseId: SCRIPT.toolId, name: ask.tool, input: JSON.parse(SCRIPT.toolArgs) } }]
            : [{ text: SCRIPT.text.join('') }],
        },
      },
      stopReason: ask.tool ? 'tool_use' : 'end_turn',
      usage,
      metrics: { latencyMs: 100 },
    }),
  streamed: (ask, _model, usage) => {
    const events: Array<[string, unknown]> = [['messageStart', { role: 'assistant' }]];
    if (ask.tool) {
      events.push(['contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: SCRIPT.toolId, name: ask.tool } } }]);
      for (const a of argPieces()) events.push(['contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: a } } }]);
    } else for (const t of SCRIPT.text) events.push(['contentBlockDelta', { contentBlockIndex: 0, delta: { text: t } }]);
    events.push(
      ['contentBlockStop', { contentBlockIndex: 0 }],
      ['messageStop', { stopReason: ask.tool ? 'tool_use' : 'end_turn' }],
      ['metadata', { usage, metrics: { latencyMs: 100 } }],
    );
    return Buffer.concat(events.map(([type, payload]) => eventMessage(type, payload)));
  },
};

export const geminiWire: Wire = {
  target: (req) => {
    const m = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)/.exec(req.url ?? '');
    return { model: m?.[1] ?? '', stream: m?.[2] === 'streamGenerateContent' };
  },
  path: (model, stream) => `/v1beta/models/${model}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
  authorized: (req) => req.headers['x-goog-api-key'] === 'AIza-test',
  ask: (b) =>
    b.tools?.[0]?.functionDeclarations?.length && !lastIsToolResult(b.contents, (p) => 'functionResponse' in p)
      ? { tool: b.tools[0].functionDeclarations[0].name }
      : {},
  contentType: 'text/event-stream',
  buffered: (ask, model, usage) =>
    JSON.stringify({
      candidates: [
        {
          content: {
            role: 'model',
            parts: ask.tool
              ? [{ functionCall: { id: SCRIPT.toolId, name: ask.tool, args: JSON.parse(SCRIPT.toolArgs) } }]
              : [{ text: SCRIPT.text.join('') }],
          },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: usage,
      modelVersion: model,
      responseId: 'resp-e2e',
    }),
  streamed: (ask, model, usage) => {
    const { candidatesTokenCount: _c, ...running } = usage;
    const event = (parts: unknown[], last: boolean) =>
      sse({
        candidates: [{ content: { role: 'model', parts }, ...(last ? { finishReason: 'STOP' } : {}), index: 0 }],
        usageMetadata: last ? usage : running,
        modelVersion: model,
        responseId: 'resp-e2e',
      });
    if (ask.tool) return event([{ functionCall: { id: SCRIPT.toolId, name: ask.tool, args: JSON.parse(SCRIPT.toolArgs) } }], true);
    return SCRIPT.text.map((t, i) => event([{ text: t }], i === SCRIPT.text.length - 1)).join('');
  },
};

/** A mock upstream answering the scripted exchange in one wire format, with the given usage. */
export async function scriptedUpstream(wire: Wire, usage: Record<string, unknown>): Promise<Upstream> {
  return mockUpstream((req, body, res) => {
    if (!wire.authorized(req)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"bad credential"}}');
      return;
    }
    const { model, stream } = wire.target(req, body);
    if (wire.path(model, stream) !== req.url) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"unknown path"}}');
      return;
    }
    const ask = wire.ask(body);
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(wire.buffered(ask, model, usage));
      return;
    }
    res.writeHead(200, { 'content-type': wire.contentType });
    writeSliced(res, wire.streamed(ask, model, usage), 13);
    res.end();
  }, wire.http2);
}
