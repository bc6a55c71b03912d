/**
 * The invoice as `GET /admin/v1/tenants/{tenantId}/invoices/{period}` returns it. The route declares
 * no response schema (the generated type is `unknown`), so the console names the fields it shows.
 */
export interface Invoice {
  id: string;
  period: string;
  period_start: string;
  period_end: string;
  status: 'open' | 'final';
  line_items: {
    model: string;
    requests: number;
    input_tokens: number;
    cached_input_tokens: number;
    output_tokens: number;
    amount_micros: number;
  }[];
  totals: {
    requests: number;
    input_tokens: number;
    cached_input_tokens: number;
    output_tokens: number;
    amount_micros: number;
    unpriced_requests: number;
  };
  notes: string[];
}

/** Saves a downloaded body under `filename` (the CSV export needs the bearer token, so no plain link). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
