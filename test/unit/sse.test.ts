/**
 * The SSE reader: WHATWG line ends and fields whatever the chunking, linear time in the event
 * size (a 20 MB event in 16 KB chunks), bounded memory per event.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSse, type SseEvent } from '../../lambdas/providers/sse';

async function parse(chunks: (string | Uint8Array)[], max?: number): Promise<SseEvent[]> {
  async function* body() {
    for (const c of chunks) yield typeof c === 'string' ? new TextEncoder().encode(c) : c;
  }
  const out: SseEvent[] = [];
  for await (const ev of readSse(body(), max)) out.push(ev);
  return out;
}

describe('readSse', () => {
  it('parses fields, comments, multi-line data and every line end', async () => {
    const text = ': hello\nevent: a\ndata: 1\ndata:2\n\r\ndata: x\r\rdata: y\r\n\r\ndata: last';
    expect(await parse([text])).toEqual([
      { event: 'a', data: '1\n2' },
      { event: undefined, data: 'x' },
      { event: undefined, data: 'y' },
      { event: undefined, data: 'last' },
    ]);
  });

  it('gives the same events however the bytes are split (\\r\\n across chunks, split UTF-8)', async () => {
    const text = 'event: é\r\ndata: {"a":"€"}\r\n\r\ndata: b\rdata: c\r\r\ndata: 😀\n\n';
    const bytes = new TextEncoder().encode(text);
    const whole = await parse([bytes]);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), async (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
        const chunks = points.slice(1).map((end, i) => bytes.slice(points[i], end));
        expect(await parse(chunks)).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('parses a 20 MB event in 16 KB chunks in linear time', async () => {
    // Prepare: one data line of 20 MB (a quadratic scan of it, chunk by chunk, is ~10^10 steps)
    const size = 20 * 1024 * 1024;
    const line = `data: ${'x'.repeat(size)}\n\n`;
    const bytes = new TextEncoder().encode(line);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 16 * 1024) chunks.push(bytes.subarray(i, i + 16 * 1024));
    // Act
    const started = performance.now();
    const events = await parse(chunks);
    const ms = performance.now() - started;
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]!.data.length).toBe(size);
    expect(ms).toBeLessThan(3000);
  });

  it('ends the stream with an error when one event exceeds the bound', async () => {
    await expect(parse(['data: ', 'x'.repeat(100), 'y'.repeat(100), '\n\n'], 150)).rejects.toThrow('SSE event too large');
    await expect(parse([`${'data: abc\n'.repeat(50)}\n`], 150)).rejects.toThrow('SSE event too large');
    expect(await parse(['data: ok\n\n'], 150)).toEqual([{ event: undefined, data: 'ok' }]);
  });
});
