import type { EmbeddingResponse } from '../domain/openai';
/**
 * `encoding_format` of embeddings responses. The router always asks providers for floats and
 * encodes for the client: `base64` is the vector as little-endian float32 bytes, base64-encoded, as
 * OpenAI returns it (the official `openai` client asks for it by default and decodes it).
 */

export type EmbeddingEncoding = 'float' | 'base64';

/** A float vector as OpenAI's base64: little-endian float32, whatever the machine's byte order. */
export function floatsToBase64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i]!, i * 4);
  return bytes.toString('base64');
}

/** OpenAI's base64 embedding back to floats (a provider that answered base64 anyway). */
export function base64ToFloats(encoded: string): number[] {
  const bytes = Buffer.from(encoded, 'base64');
  const out: number[] = new Array(Math.floor(bytes.length / 4));
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

/**
 * The provider's response with every embedding in the encoding the client asked for (floats when
 * unset). Pure: returns a new response.
 *
 * @example
 * encodeEmbeddings(response, 'base64').data[0].embedding // 'AACAPwAAAEA=' for [1, 2]
 */
export function encodeEmbeddings(response: EmbeddingResponse, format: EmbeddingEncoding | undefined): EmbeddingResponse {
  return {
    ...response,
    data: response.data.map((d) => {
      const floats = typeof d.embedding === 'string' ? base64ToFloats(d.embedding) : d.embedding;
      return { ...d, embedding: format === 'base64' ? floatsToBase64(floats) : floats };
    }),
  };
}
