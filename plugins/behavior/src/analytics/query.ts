import { z } from 'zod';
import { checkProperty } from './dialect';

/** Most `property.<name>=<value>` filters one query may carry. */
export const MAX_PROPERTY_FILTERS = 10;

/**
 * A query-string schema that refuses parameters it does not know, each refusal naming the
 * parameter (zod's `.strict()` reports unknown keys without a path, so the 400 could not say which
 * one). With `properties`, `property.<name>` parameters are accepted as filters: a single string
 * value, a valid property name, at most MAX_PROPERTY_FILTERS of them.
 */
export function strictQuery<T extends z.ZodRawShape>(shape: T, opts: { properties?: boolean } = {}) {
  return z
    .object(shape)
    .catchall(z.unknown())
    .superRefine((q, ctx) => {
      let filters = 0;
      for (const [key, value] of Object.entries(q)) {
        if (key in shape) continue;
        if (opts.properties && key.startsWith('property.')) {
          filters++;
          if (typeof value !== 'string' || value.length > 200) {
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: 'must be given once, as text of at most 200 characters',
            });
            continue;
          }
          try {
            checkProperty(key.slice('property.'.length));
          } catch {
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: 'is not a property name: use letters, digits, _ $ - and spaces, with dots for nested objects',
            });
          }
          if (filters === MAX_PROPERTY_FILTERS + 1)
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: `is one property filter too many (at most ${MAX_PROPERTY_FILTERS})`,
            });
          continue;
        }
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `is not a parameter of this route (known: ${Object.keys(shape).join(', ')}${opts.properties ? ', property.<name>' : ''})`,
        });
      }
    });
}
