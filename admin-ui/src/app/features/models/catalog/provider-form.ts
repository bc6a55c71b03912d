/** A provider entry as the catalog shows it (credential masked). */
export type ProviderConfig = Record<string, unknown> & { type?: string; baseUrl?: string; apiKey?: string };

/** A price per 1M tokens (USD). */
export interface PriceValue {
  input: number;
  output: number;
  cachedInput?: number | null;
}

/**
 * The provider entry to PUT: its shown config with the form's base URL, and the new credential
 * only when one was typed. The shown `apiKey` is a mask and is never sent back: left out, the API
 * keeps the stored credential.
 */
export function providerEntry(
  shown: ProviderConfig,
  form: { baseUrl: string; apiKey: string },
): Record<string, unknown> {
  const { apiKey: _mask, ...rest } = shown;
  const out: Record<string, unknown> = { ...rest };
  const baseUrl = form.baseUrl.trim();
  if (baseUrl) out['baseUrl'] = baseUrl;
  else delete out['baseUrl'];
  if (form.apiKey) out['apiKey'] = form.apiKey;
  return out;
}

/** The price entry to PUT: other fields (tiers, cache writes) kept; an empty cached price left to its default. */
export function priceEntry(original: Record<string, unknown> | null, v: PriceValue): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(original ?? {}), input: Number(v.input), output: Number(v.output) };
  if (v.cachedInput === null || v.cachedInput === undefined || (v.cachedInput as unknown) === '')
    delete out['cachedInput'];
  else out['cachedInput'] = Number(v.cachedInput);
  return out;
}
