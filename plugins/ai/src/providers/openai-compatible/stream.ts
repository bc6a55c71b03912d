import type { RawUsage, StreamTranslator, UpstreamErrorBody } from '../../types';
import { OpenAiStreamTranslator } from '../openai/stream';

/**
 * Mistral's stream is OpenAI's but for two things an OpenAI client trips over: a streamed tool call
 * may come without `index` (the SDKs assemble calls by it), and a context overflow ends with
 * finish_reason `model_length`. Events carrying either are rewritten; every other byte passes through
 * the OpenAI translator untouched.
 */
export class MistralStreamTranslator implements StreamTranslator {
  private readonly inner: OpenAiStreamTranslator;

  constructor(dropUsageChunk: boolean) {
    this.inner = new OpenAiStreamTranslator(dropUsageChunk);
  }

  get usage(): RawUsage | undefined {
    return this.inner.usage;
  }
  get done(): boolean {
    return this.inner.done;
  }
  get firstTokenAt(): number | undefined {
    return this.inner.firstTokenAt;
  }
  get responseModel(): string | undefined {
    return this.inner.responseModel;
  }
  get finishReason(): string | undefined {
    const f = this.inner.finishReason;
    return f === 'model_length' ? 'length' : f;
  }
  get streamError(): UpstreamErrorBody | undefined {
    return this.inner.streamError;
  }

  push(chunk: Buffer): Buffer | string | null {
    return fixEvents(this.inner.push(chunk));
  }

  end(): Buffer | string | null {
    return fixEvents(this.inner.end());
  }

  completionText(): string {
    return this.inner.completionText();
  }
}

function fixEvents(out: Buffer | string | null): Buffer | string | null {
  if (out === null) return out;
  const s = typeof out === 'string' ? out : out.toString('utf8');
  if (s.indexOf('"tool_calls":[') === -1 && s.indexOf('"model_length"') === -1) return out;
  return s
    .split('\n\n')
    .map((evt) => (evt.startsWith('data: {') ? `data: ${fixChunkJson(evt.slice(6))}` : evt))
    .join('\n\n');
}

/** One chunk's JSON with tool call indexes filled in and `model_length` read as `length`. */
export function fixChunkJson(json: string): string {
  let j: { choices?: { finish_reason?: string | null; delta?: { tool_calls?: { index?: number }[] } }[] };
  try {
    j = JSON.parse(json) as typeof j;
  } catch {
    return json;
  }
  for (const c of j.choices ?? []) {
    if (c.finish_reason === 'model_length') c.finish_reason = 'length';
    c.delta?.tool_calls?.forEach((tc, i) => {
      tc.index ??= i;
    });
  }
  return JSON.stringify(j);
}
