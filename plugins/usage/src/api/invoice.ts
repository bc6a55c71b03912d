import { microsToUsd } from '../money';
import { num, type Sql } from '@aihub/core/plugin-api';
import { monthDays } from '../time';

export interface InvoiceLine {
  description: string;
  kind: 'input' | 'cached_input' | 'output' | 'blended' | 'rounding';
  quantity_tokens: number;
  unit_price_per_1m_micros: number | null;
  unit_price_per_1m_usd: string | null;
  amount_micros: number;
  amount_usd: string;
}

export interface InvoiceItem {
  model: string;
  requests: number;
  cache_hits: number;
  unpriced_requests: number;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  amount_micros: number;
  amount_usd: string;
  lines: InvoiceLine[];
}

const perMillion = (amount: number, tokens: number): number | null => (tokens > 0 ? Math.round((amount * 1_000_000) / tokens) : null);

function line(description: string, kind: InvoiceLine['kind'], tokens: number, amount: number): InvoiceLine {
  const unit = kind === 'rounding' ? null : perMillion(amount, tokens);
  return {
    description,
    kind,
    quantity_tokens: tokens,
    unit_price_per_1m_micros: unit,
    unit_price_per_1m_usd: unit === null ? null : microsToUsd(unit),
    amount_micros: amount,
    amount_usd: microsToUsd(amount),
  };
}

/**
 * The invoice of one tenant for one UTC month, from the daily rollups: one item per model with lines
 * for uncached input, cached input and output tokens. Unit prices are the effective price per
 * million tokens (amount ÷ tokens), exact while the price did not change in the month. When records
 * carry no cost breakdown, one blended line per model is shown instead. Each item's lines add up to
 * its amount, which is the sum of the billed records' costs.
 */
export async function buildInvoice(sql: Sql, dailyTable: string, tenantId: string, period: string, now: number) {
  const { first, last, start, end } = monthDays(period);
  const rows = await sql.rows(
    `SELECT model, SUM(requests) AS requests, SUM(cache_hits) AS cache_hits, SUM(unpriced_requests) AS unpriced_requests,
       SUM(breakdown_requests) AS breakdown_requests, SUM(prompt_tokens) AS prompt_tokens, SUM(cached_tokens) AS cached_tokens,
       SUM(completion_tokens) AS completion_tokens, SUM(total_tokens) AS total_tokens, SUM(cost_micros) AS cost_micros,
       SUM(input_cost_micros) AS input_cost_micros, SUM(cached_cost_micros) AS cached_cost_micros, SUM(output_cost_micros) AS output_cost_micros
     FROM ${dailyTable} WHERE tenant_id = $1 AND day >= $2 AND day <= $3 GROUP BY model ORDER BY model`,
    [tenantId, first, last],
  );
  const items: InvoiceItem[] = rows.map((r) => {
    const model = String(r.model);
    const requests = num(r.requests);
    const cached = num(r.cached_tokens);
    const input = Math.max(0, num(r.prompt_tokens) - cached);
    const output = num(r.completion_tokens);
    const amount = num(r.cost_micros);
    const lines: InvoiceLine[] = [];
    if (requests > 0 && num(r.breakdown_requests) === requests) {
      const ic = num(r.input_cost_micros);
      const cc = num(r.cached_cost_micros);
      const oc = num(r.output_cost_micros);
      lines.push(line(`${model} input tokens`, 'input', input, ic));
      if (cached > 0 || cc > 0) lines.push(line(`${model} cached input tokens`, 'cached_input', cached, cc));
      lines.push(line(`${model} output tokens`, 'output', output, oc));
      const rest = amount - ic - cc - oc;
      if (rest !== 0) lines.push(line(`${model} rounding`, 'rounding', 0, rest));
    } else {
      lines.push(line(`${model} tokens (input + output)`, 'blended', num(r.total_tokens), amount));
    }
    return {
      model,
      requests,
      cache_hits: num(r.cache_hits),
      unpriced_requests: num(r.unpriced_requests),
      input_tokens: input,
      cached_input_tokens: cached,
      output_tokens: output,
      total_tokens: num(r.total_tokens),
      amount_micros: amount,
      amount_usd: microsToUsd(amount),
      lines,
    };
  });
  const sum = (f: (i: InvoiceItem) => number) => items.reduce((a, i) => a + f(i), 0);
  const total = sum((i) => i.amount_micros);
  const unpriced = sum((i) => i.unpriced_requests);
  return {
    object: 'invoice' as const,
    id: `inv_${tenantId}_${period.replace('-', '')}`,
    tenant_id: tenantId,
    period,
    period_start: new Date(start).toISOString(),
    period_end: new Date(end).toISOString(),
    // Records of a month can still arrive shortly after it ends (queue lag): final a day later.
    status: now >= end + 86_400_000 ? ('final' as const) : ('open' as const),
    currency: 'usd',
    line_items: items,
    totals: {
      requests: sum((i) => i.requests),
      input_tokens: sum((i) => i.input_tokens),
      cached_input_tokens: sum((i) => i.cached_input_tokens),
      output_tokens: sum((i) => i.output_tokens),
      total_tokens: sum((i) => i.total_tokens),
      unpriced_requests: unpriced,
      amount_micros: total,
      amount_usd: microsToUsd(total),
    },
    notes: unpriced ? [`${unpriced} request(s) used models without a price and are not included in the amount; add prices to the ai plugin's pricing table.`] : [],
    generated_at: new Date(now).toISOString(),
  };
}
