/**
 * Chat Completions answer → Responses API objects: output items (a message with output_text, one
 * function_call item per tool call), status from finish_reason, usage with the Responses names.
 */
import type { ResponsesRequest } from './toChat';
import { newId } from './toChat';

type Json = Record<string, unknown>;

/** Token counts in chat's semantics (prompt includes cache reads and writes), plus reasoning tokens when reported. */
export interface ResponseTokens {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  /** Prompt tokens written to the provider's cache (Anthropic, Bedrock). */
  cacheWriteTokens: number;
  reasoningTokens: number;
}

export function responseUsage(u: ResponseTokens | undefined): Json {
  const t = u ?? { promptTokens: 0, completionTokens: 0, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
  return {
    input_tokens: t.promptTokens,
    input_tokens_details: { cached_tokens: t.cachedTokens, cache_write_tokens: t.cacheWriteTokens },
    output_tokens: t.completionTokens,
    output_tokens_details: { reasoning_tokens: t.reasoningTokens },
    total_tokens: t.promptTokens + t.completionTokens,
  };
}

/** Reasoning tokens of a chat usage object (completion_tokens_details.reasoning_tokens), 0 when absent. */
export function reasoningTokensOf(usage: unknown): number {
  const n = (usage as { completion_tokens_details?: { reasoning_tokens?: unknown } } | null | undefined)
    ?.completion_tokens_details?.reasoning_tokens;
  return typeof n === 'number' && n >= 0 ? n : 0;
}

/** status and incomplete_details for a finish_reason: a cut answer is `incomplete`, as OpenAI says it. */
export function statusOf(finish: string | null | undefined): {
  status: 'completed' | 'incomplete';
  incomplete_details: Json | null;
} {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

export function messageItem(id: string, text: string, status: string): Json {
  return {
    id,
    type: 'message',
    status,
    role: 'assistant',
    content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
  };
}

export function functionCallItem(id: string, callId: string, name: string, args: string, status: string): Json {
  return { id, type: 'function_call', status, arguments: args, call_id: callId, name };
}

/** The Response object around output items (in_progress ones while streaming). */
export function responseObject(
  id: string,
  createdAt: number,
  req: ResponsesRequest,
  model: string,
  fields: { status: string; output: Json[]; usage: Json | null; incomplete_details?: Json | null; error?: Json | null },
): Json {
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: fields.status,
    background: false,
    error: fields.error ?? null,
    incomplete_details: fields.incomplete_details ?? null,
    instructions: req.instructions,
    model,
    output: fields.output,
    previous_response_id: req.previousResponseId,
    store: req.store,
    metadata: req.metadata,
    usage: fields.usage,
    ...req.echo,
  };
}

/**
 * The chat messages this turn adds to the conversation: the assistant's answer as chat would have
 * it (text and tool_calls), so a follow-up with previous_response_id continues from it.
 */
export function assistantTurn(output: Json[]): Json | undefined {
  let text = '';
  const calls: Json[] = [];
  for (const item of output) {
    if (item.type === 'message')
      for (const p of item.content as Json[]) text += typeof p.text === 'string' ? p.text : '';
    else if (item.type === 'function_call')
      calls.push({ id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } });
  }
  if (!text && calls.length === 0) return undefined;
  const m: Json = { role: 'assistant', content: text || null };
  if (calls.length) m.tool_calls = calls;
  return m;
}

/** Output items of a chat completion body (the first choice: Responses has no `n`). */
export function chatOutput(body: Buffer | string): {
  output: Json[];
  finish: string | null;
  model: string | undefined;
  reasoningTokens: number;
} {
  const j = JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as Json;
  const choice = ((j.choices as Json[] | undefined) ?? [])[0] ?? {};
  const msg = (choice.message ?? {}) as {
    content?: unknown;
    refusal?: unknown;
    tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[];
  };
  const output: Json[] = [];
  const text = typeof msg.content === 'string' ? msg.content : typeof msg.refusal === 'string' ? msg.refusal : '';
  if (text !== '' || !msg.tool_calls?.length) output.push(messageItem(newId('msg'), text, 'completed'));
  for (const tc of msg.tool_calls ?? [])
    output.push(
      functionCallItem(
        newId('fc'),
        tc.id ?? newId('call'),
        tc.function?.name ?? '',
        tc.function?.arguments ?? '',
        'completed',
      ),
    );
  return {
    output,
    finish: (choice.finish_reason as string | null | undefined) ?? null,
    model: typeof j.model === 'string' ? j.model : undefined,
    reasoningTokens: reasoningTokensOf(j.usage),
  };
}
