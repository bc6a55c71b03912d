import type { CallInput, ParsedAnswer } from '../../types';
import { allStrings, firstString } from '../scan';
import { answerUsage } from './answerUsage';

const INCLUDE_USAGE = Buffer.from(',"stream_options":{"include_usage":true}}');

/**
 * The request body for an OpenAI-compatible upstream, with as little re-serialisation as possible:
 * the client's bytes as they are when nothing must change; for a stream without `stream_options`,
 * the same bytes with `"stream_options":{"include_usage":true}` spliced in before the final brace;
 * otherwise (another model name, transforms) one JSON.stringify of a shallow copy.
 */
export function openAiBody(call: CallInput, model: string | undefined): string | Buffer {
  const body = call.body;
  const renameModel = model !== undefined && body.model !== model;
  const injectUsage = call.stream && !call.clientWantsUsage;
  const raw = call.raw;
  if (raw && !renameModel) {
    if (!injectUsage) return raw;
    if (body.stream_options === undefined) {
      let end = raw.length - 1;
      while (end > 0 && raw[end] !== 125 /* } */) end--;
      let prev = end - 1;
      while (prev > 0 && (raw[prev] === 32 || raw[prev] === 10 || raw[prev] === 13 || raw[prev] === 9)) prev--;
      if (end > 0 && raw[prev] !== 123 /* { */) return Buffer.concat([raw.subarray(0, end), INCLUDE_USAGE]);
    }
  }
  const out: Record<string, unknown> = { ...body };
  if (renameModel) out.model = model;
  if (injectUsage) out.stream_options = { ...(body.stream_options as object | undefined), include_usage: true };
  return JSON.stringify(out);
}

/** Reads usage, model, id and finish reasons from a chat/embeddings answer without parsing it all. */
export function scanOpenAiAnswer(body: Buffer): ParsedAnswer {
  const text = body.toString('latin1');
  return {
    body,
    usage: answerUsage(text),
    responseModel: firstString(text, 'model'),
    responseId: firstString(text, 'id'),
    finishReasons: allStrings(text, 'finish_reason'),
  };
}
