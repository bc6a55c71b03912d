import { microsToUsd } from '../money';
import { num, type Sql } from '@aihub/core/plugin-api';
import { saturatingAdd, saturatingSum } from '../writer/saturate';
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
  /** The model the client asked for (an alias may route to several models). */
  model: string;
  /** The model that answered (the provider's name for it) and its provider: an item's price is theirs. */
  answered_by: string;
  provider: string | null;
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

const perMillion = (amount: number, tokens: number): number | null =>
  tokens > 0 ? Math.round((amount * 1_000_000) / tokens) : null;

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
 * The invoice of one tenant for one UTC month: one item per requested model and model that answered
 * (with its provider), with lines for uncached input, cached input and output tokens. By the
 * answering model because that is what is priced: an A/B alias over two models billed as one item
 * showed a blended unit price neither model has. Read from the invoice rollup (usage_answered, kept
 * with the records in one transaction, writer/answered.ts): at most a few hundred rows for a month,
 * however many records it has. Unit prices are the effective price per million tokens (amount ÷
 * tokens), exact while the price did not change in the month. When records carry no cost breakdown,
 * one blended line per model is shown instead. Each item's lines add up to its amount, which is the
 * sum of the billed records' costs. Every sum (an item's, the totals) saturates at ROLLUP_MAX like
 * the rollup rows (saturatingSum): an absurd month is billed at the maximum rather than failing.
 */
export async function buildInvoice(sql: Sql, answeredTable: string, tenantId: string, period: string, now: number) {
  const { start, end, first, last } = monthDays(period);
  const sums = [
    'requests',
    'cache_hits',
    'unpriced_requests',
    'breakdown_requests',
    'prompt_tokens',
    'cached_tokens',
    'completion_tokens',
    'total_tokens',
    'cost_micros',
    'input_cost_micros',
    'cached_cost_micros',
    'output_cost_micros',
  ]
    .map((m) => `${saturatingSum(sql.dialect, m)} AS ${m}`)
    .join(', ');
  // HAVING on MAX, not SUM: requests are never negative, and a SUM could overflow on SQLite.
  const rows = await sql.rows(
    `SELECT model, answered_by, provider, ${sums} FROM ${answeredTable}
     WHERE tenant_id = $1 AND day >= $2 AND day <= $3
     GROUP BY model, answered_by, provider HAVING MAX(requests) > 0 ORDER BY model, answered_by, provider`,
    [tenantId, first, last],
  );
  const items: InvoiceItem[] = rows.map((r) => {
    const asked = String(r.model);
    const answeredBy = String(r.answered_by);
    const provider = r.provider == null || r.provider === '' ? null : String(r.provider);
    // Lines name the model that answered (the one whose price they show), and the alias when it differs.
    const model = answeredBy === asked ? asked : `${answeredBy} (as ${asked})`;
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
      model: asked,
      answered_by: answeredBy,
      provider,
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
  const sum = (f: (i: InvoiceItem) => number) => items.reduce((a, i) => saturatingAdd(a, f(i)), 0);
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
    notes: unpriced
      ? [
          `${unpriced} request(s) used models without a price and are not included in the amount; add prices to the ai plugin's pricing table.`,
        ]
      : [],
    generated_at: new Date(now).toISOString(),
  };
}
