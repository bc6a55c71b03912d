/**
 * A Messages stream sent to Anthropic natively is Anthropic's own events, forwarded as they are.
 * Only what the gateway itself writes into it — an OpenAI-style `data: {"error":…}` event when the
 * upstream stalls, times out or ends early — is rewritten as Anthropic's `error` event.
 */
import { Transform, type TransformCallback } from 'node:stream';

const ERROR_PREFIX = 'data: {"error":';

export class NativeAnthropicStream extends Transform {
  private pending = '';

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    // Upstream events come whole (the translator forwards complete events): most chunks pass untouched.
    if (!this.pending && chunk.indexOf(ERROR_PREFIX) === -1) return cb(null, chunk);
    this.pending += chunk.toString('utf8');
    const last = this.pending.lastIndexOf('\n\n');
    if (last === -1) return cb();
    const whole = this.pending.slice(0, last + 2);
    this.pending = this.pending.slice(last + 2);
    cb(
      null,
      whole
        .split('\n\n')
        .map((e) => (e ? `${rewrite(e)}\n\n` : ''))
        .join(''),
    );
  }

  override _flush(cb: TransformCallback): void {
    cb(null, this.pending ? rewrite(this.pending) : undefined);
  }
}

function rewrite(evt: string): string {
  if (!evt.startsWith(ERROR_PREFIX)) return evt;
  try {
    const e = (JSON.parse(evt.slice(6)) as { error?: { message?: string; type?: string } }).error;
    const type = e?.type === 'rate_limit_error' ? 'rate_limit_error' : 'api_error';
    return `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message: e?.message ?? 'The upstream stream failed.' } })}`;
  } catch {
    return evt;
  }
}
