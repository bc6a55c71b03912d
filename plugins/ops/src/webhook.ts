import { createHmac } from 'node:crypto';
import type { HttpClient } from '@aihub/core/plugin-api';
import type { WebhookConfig } from './config';
import type { OpsEvent } from './EventLog';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the receiver recomputes it and rejects an old `t`. */
export function signBody(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/** The body for a decision: the event as JSON, or a Slack incoming-webhook message. */
export function webhookBody(format: WebhookConfig['format'], event: OpsEvent): string {
  if (format === 'json') return JSON.stringify({ type: 'ops.decision', ...event });
  const title = `AI Hub ops: rule ${event.rule} → ${event.action}${event.target ? ` ${event.target}` : ''} (${event.outcome})`;
  return JSON.stringify({
    text: `${title}: ${event.reason}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: event.reason.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!),
        },
      },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `${event.created_at} · instance ${event.instance} · event ${event.id}` }],
      },
    ],
  });
}

/** Sends one decision; throws on a non-2xx answer or a timeout (the engine records it as failed). */
export async function sendWebhook(http: HttpClient, hook: WebhookConfig, event: OpsEvent): Promise<void> {
  const body = webhookBody(hook.format, event);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-aihub-delivery-id': event.id };
  if (hook.secret) headers['x-aihub-signature'] = signBody(hook.secret, body, Math.floor(Date.now() / 1000));
  const res = await http.request(hook.url, {
    method: 'POST',
    headers,
    body,
    headersTimeout: hook.timeoutMs,
    bodyTimeout: hook.timeoutMs,
  });
  await res.body.dump();
  if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`webhook answered HTTP ${res.statusCode}`);
}
