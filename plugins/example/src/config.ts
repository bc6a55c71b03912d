import { z } from 'zod';

export const exampleConfig = z
  .object({
    stampHeader: z
      .string()
      .regex(/^[a-z0-9-]+$/i)
      .default('x-aihub-example')
      .describe('Response header the plugin stamps on every response'),
    stampValue: z.string().default('hello').describe('Value of the stamped header'),
    limits: z
      .array(
        z
          .object({
            pathPrefix: z.string().startsWith('/').describe('Requests whose path starts with this prefix'),
            maxBytes: z.number().int().positive().describe('Largest Content-Length accepted for them'),
          })
          .strict(),
      )
      .default([])
      .describe('Per-route request size limits, checked from Content-Length before the body is read by handlers'),
  })
  .strict();

export type ExampleConfig = z.output<typeof exampleConfig>;
