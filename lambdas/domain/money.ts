/** Money is integer: nano-USD in the store and in budgets; USD floats only at the API edge. */

/** nano-USD → USD for the API's `usage.cost` (OpenRouter's field); exact to the nano-dollar. */
export function nanoToUsd(nano: number): number {
  return Number((nano / 1e9).toFixed(9));
}

/** USD (a budget, a price ceiling) → nano-USD, exactly for inputs with at most 9 decimals. */
export function usdToNano(usd: number): number {
  return Math.round(usd * 1e9);
}
