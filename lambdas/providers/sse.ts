/**
 * A minimal Server-Sent Events reader for upstream streams: splits a byte stream into
 * events per the WHATWG EventSource parsing rules (fields `event` and `data`, blank-line
 * terminated, `\n`, `\r\n` or `\r` line ends, comments ignored).
 *
 * Linear in the size of the stream: each decoded chunk is scanned once, from where the last
 * scan stopped, and the pieces of a line that spans many chunks are joined once, when it ends.
 * An event larger than `MAX_SSE_EVENT_CHARS` ends the stream with an error (memory is bounded).
 */

import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  event: string | undefined;
  data: string;
}

/** The largest event accepted (characters of its lines): far above any real chunk, bounded memory. */
export const MAX_SSE_EVENT_CHARS = 64 * 1024 * 1024;

/** Parses an SSE byte stream into events. */
export async function* readSse(body: AsyncIterable<Uint8Array>, maxEventChars = MAX_SSE_EVENT_CHARS): AsyncGenerator<SseEvent> {
  // StringDecoder: cheaper to create than a TextDecoder (one per stream), same handling of split characters.
  const decoder = new StringDecoder('utf8');
  let event: string | undefined;
  let data: string[] = [];
  /** Characters held for the current event: its finished lines and the line being read. */
  let eventChars = 0;
  /** The pieces of the line not yet ended. */
  let pending: string[] = [];
  /** The previous chunk ended with \r: a \n starting the next one belongs to that line end. */
  let afterCr = false;

  const flushLine = function* (line: string): Generator<SseEvent> {
    if (line === '') {
      if (data.length) yield { event, data: data.join('\n') };
      event = undefined;
      data = [];
      eventChars = 0;
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

  const feed = function* (text: string): Generator<SseEvent> {
    let start = 0;
    if (afterCr && text.charCodeAt(0) === 10) start = 1;
    afterCr = false;
    const lineEnd = /[\r\n]/g;
    lineEnd.lastIndex = start;
    for (let match = lineEnd.exec(text); match; match = lineEnd.exec(text)) {
      const end = match.index;
      const piece = text.slice(start, end);
      eventChars += piece.length;
      if (eventChars > maxEventChars) throw new Error('SSE event too large');
      const line = pending.length ? pending.join('') + piece : piece;
      pending = [];
      start = end + 1;
      if (match[0] === '\r') {
        if (start < text.length && text.charCodeAt(start) === 10) start++;
        else if (start === text.length) afterCr = true;
        lineEnd.lastIndex = start;
      }
      yield* flushLine(line);
    }
    if (start < text.length) {
      const rest = text.slice(start);
      pending.push(rest);
      eventChars += rest.length;
      if (eventChars > maxEventChars) throw new Error('SSE event too large');
    }
  };

  for await (const bytes of body) {
    const text = decoder.write(bytes);
    if (text) yield* feed(text);
  }
  const tail = decoder.end();
  if (tail) yield* feed(tail);
  if (pending.length) yield* flushLine(pending.join(''));
  pending = [];
  yield* flushLine('');
}
