/**
 * Savings made visible: what a request's usage would have cost at the reference offer, the most
 * expensive eligible offer of the model the client asked for. Priced by the same function as the
 * bill, so spend and reference are comparable to the nano-dollar.
 */
import type { NormalizedUsage } from '../domain/usage';
import { costNanoUsd } from './pricing';
import type { RouteCandidate } from './routing';

/**
 * The reference cost in nano-USD: the dearest of the requested model's eligible offers for this
 * same usage, never below what was billed (a fallback to another model saves nothing).
 *
 * @example
 * referenceCostNanoUsd(route, 'meta-llama/llama-3.3-70b-instruct', usage, cost) - cost // the saving
 */
export function referenceCostNanoUsd(
  route: readonly RouteCandidate[],
  requestedModel: string,
  usage: NormalizedUsage,
  billedNano: number,
): number {
  let reference = billedNano;
  for (const c of route) if (c.model.id === requestedModel) reference = Math.max(reference, costNanoUsd(usage, c.offer.price));
  return reference;
}
