/** Per-key and per-account limits. Budgets are held in integer nano-USD. */
import * as z from 'zod';
import type { Limits } from '../domain/caller';
import { lazy } from '../domain/lazy';
import { usdToNano } from '../domain/money';

/** Limits as operators give them (USD budgets), validated. */
export const limitsInputSchema = lazy(() =>
  z
    .object({
      rpm: z.number().int().positive().optional(),
      tpm: z.number().int().positive().optional(),
      dailyBudgetUsd: z.number().nonnegative().max(1e9).optional(),
      monthlyBudgetUsd: z.number().nonnegative().max(1e9).optional(),
    })
    .strict(),
);
export type LimitsInput = z.infer<ReturnType<typeof limitsInputSchema>>;

export function limitsFromInput(input: LimitsInput): Limits {
  return {
    ...(input.rpm !== undefined ? { rpm: input.rpm } : {}),
    ...(input.tpm !== undefined ? { tpm: input.tpm } : {}),
    ...(input.dailyBudgetUsd !== undefined ? { dailyBudgetNanoUsd: usdToNano(input.dailyBudgetUsd) } : {}),
    ...(input.monthlyBudgetUsd !== undefined ? { monthlyBudgetNanoUsd: usdToNano(input.monthlyBudgetUsd) } : {}),
  };
}
