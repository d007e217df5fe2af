/**
 * Which route may serve which model: chat models answer /v1/chat/completions and /v1/messages,
 * embedding models answer /v1/embeddings. A model of the wrong kind is a clear 400 naming the
 * parameter and the route to use, checked before routing so no provider is called.
 */

import { RouterError } from '../domain/errors';
import type { Catalog } from './catalog';
import type { ModelConfig } from './config';
import { resolveModelSpec } from './routing';

export type ModelKind = ModelConfig['kind'];

const ROUTE_FOR: Readonly<Record<ModelKind, string>> = {
  chat: 'POST /v1/chat/completions',
  embedding: 'POST /v1/embeddings',
};

/**
 * Throws a 400 if `model` or any `models` entry names a catalog model of another kind.
 * Unknown names are left to `planRoute` (which answers 404 when none resolves).
 *
 * @example
 * assertModelKind(catalog, { model: 'openai/text-embedding-3-small' }, 'chat'); // throws 400 model_kind_mismatch
 */
export function assertModelKind(catalog: Catalog, request: { model: string; models?: string[] | undefined }, kind: ModelKind): void {
  const specs = [request.model, ...(request.models ?? [])];
  specs.forEach((spec, i) => {
    const resolved = resolveModelSpec(catalog, spec);
    if (!resolved || resolved.model.config.kind === kind) return;
    const other = resolved.model.config.kind;
    throw RouterError.invalidRequest(
      `The model \`${resolved.model.id}\` is ${other === 'embedding' ? 'an embedding' : 'a chat'} model; use ${ROUTE_FOR[other]} for it.`,
      i === 0 ? 'model' : `models[${i - 1}]`,
      'model_kind_mismatch',
    );
  });
}
