/**
 * The model-identity map (`data/model-identity.json`): reviewed data saying which upstream model
 * ids on which hosts are the same model, and what the price data does not carry (output limit,
 * capabilities, a context window where the data has none).
 */
import { readFileSync } from 'node:fs';
import type { Capabilities } from '../core/config';

/** One model and the id each host serves it under. */
export interface IdentityEntry {
  /** The catalog id clients send (OpenRouter's id where OpenRouter lists the model). */
  id: string;
  name?: string;
  kind: 'chat' | 'embedding';
  /** Used where the price data has no context window for a host. */
  contextWindow: number;
  maxOutput: number;
  capabilities: Capabilities;
  /** Price-data provider id (`openai`, `aws`, `groq` …) → the upstream model id sent to that host. */
  hosts: Record<string, string>;
}

/** Reads and checks the identity map: unique ids, at least one host each. */
export function loadIdentityMap(path: string): IdentityEntry[] {
  const entries = JSON.parse(readFileSync(path, 'utf8')) as IdentityEntry[];
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.id)) throw new Error(`model-identity: duplicate id ${e.id}`);
    seen.add(e.id);
    if (Object.keys(e.hosts).length === 0) throw new Error(`model-identity: ${e.id} has no host`);
  }
  return entries;
}
