/**
 * A minimal Server-Sent Events reader for upstream streams: splits a byte stream into
 * events per the WHATWG EventSource parsing rules (fields `event` and `data`, blank-line
 * terminated, `\n`, `\r\n` or `\r` line ends, comments ignored).
 */

export interface SseEvent {
  event: string | undefined;
  data: string;
}

/** Parses an SSE byte stream into events. */
export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event: string | undefined;
  let data: string[] = [];
  const flushLine = function* (line: string): Generator<SseEvent> {
    if (line === '') {
      if (data.length) yield { event, data: data.join('\n') };
      event = undefined;
      data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
  };
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let match: RegExpExecArray | null;
    const lineEnd = /\r\n|\r|\n/g;
    let start = 0;
    while ((match = lineEnd.exec(buffer))) {
      // A lone \r at the buffer's end may be the first half of \r\n: wait for more bytes.
      if (match[0] === '\r' && match.index === buffer.length - 1) break;
      yield* flushLine(buffer.slice(start, match.index));
      start = match.index + match[0].length;
    }
    buffer = buffer.slice(start);
  }
  buffer += decoder.decode();
  if (buffer) yield* flushLine(buffer);
  yield* flushLine('');
}
