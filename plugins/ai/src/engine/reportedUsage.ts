import type { RawUsage } from '../types';

/**
 * A token count as an upstream reported it, when it is one: a finite number from 0 to 2^53 − 1,
 * rounded to a whole token. Anything else (negative, NaN, `1e999` which JSON.parse reads as Infinity,
 * a count past what a double holds exactly) is undefined.
 */
export function reportedCount(n: unknown): number | undefined {
  return typeof n === 'number' && n >= 0 && n <= Number.MAX_SAFE_INTEGER ? Math.round(n) : undefined;
}

/**
 * The counts of an upstream's usage that can be billed as given. Why: a broken or hostile upstream's
 * negative or non-finite count used to reach billing as a negative cost, or as null and then 0, and
 * a negative cache count made the prompt's uncached part larger than the prompt. Prompt or
 * completion left undefined here is counted by the gateway (and the usage marked estimated), as when
 * the upstream reports none; a bad cache or reasoning count is dropped (0), which bills those tokens
 * at the plain input or output rate.
 */
export function reportedUsage(u: RawUsage): {
  prompt: number | undefined;
  completion: number | undefined;
  rest: Omit<RawUsage, 'promptTokens' | 'completionTokens'>;
} {
  const rest: Omit<RawUsage, 'promptTokens' | 'completionTokens'> = {
    cachedTokens: reportedCount(u.cachedTokens) ?? 0,
  };
  const writes = reportedCount(u.cacheWriteTokens);
  if (writes) rest.cacheWriteTokens = writes;
  const writes1h = reportedCount(u.cacheWrite1hTokens);
  if (writes1h) rest.cacheWrite1hTokens = writes1h;
  const reasoning = reportedCount(u.reasoningTokens);
  if (reasoning) rest.reasoningTokens = reasoning;
  return { prompt: reportedCount(u.promptTokens), completion: reportedCount(u.completionTokens), rest };
}
