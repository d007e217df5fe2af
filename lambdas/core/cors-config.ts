/** The router config's `cors` section: browser origins allowed to call the inference routes and the key holder's page (handlers/cors.ts). */
import * as z from 'zod';

export const corsSchema = () =>
  z
    .object({
      allowOrigins: z
        .array(
          z
            .string()
            .regex(
              /^https?:\/\/[^/?#\s]+$/,
              'an origin: scheme, host and optional port, e.g. https://app.example.com (no path, no trailing slash)',
            ),
        )
        .default([])
        .describe(
          "Origins (scheme://host[:port]) whose pages may call the inference routes and the key holder's page from a browser; never /admin or /v1/privacy. Default none",
        ),
      maxAgeSeconds: z
        .number()
        .int()
        .min(0)
        .max(86_400)
        .default(600)
        .describe('How long a browser may cache a preflight answer (Access-Control-Max-Age)'),
    })
    .strict();
