/**
 * OpenAI Chat Completions answer → Anthropic Messages answer: content blocks (text, tool_use),
 * stop_reason from finish_reason, usage with Anthropic's meaning (input_tokens excludes cache reads).
 */
import { randomBytes } from 'node:crypto';
import type { RawUsage } from '../types';

type Json = Record<string, unknown>;

/** Anthropic's stop_reason for an OpenAI finish_reason. */
export function stopReason(finish: string | null | undefined): string | null {
  switch (finish) {
    case null:
    case undefined:
      return null;
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** Anthropic usage from OpenAI-semantics counts (prompt includes cache reads and writes; Anthropic lists them apart). */
export function anthropicUsage(u: RawUsage | undefined): Json {
  if (!u) return { input_tokens: 0, output_tokens: 0 };
  const writes = u.cacheWriteTokens ?? 0;
  return {
    input_tokens: Math.max(0, u.promptTokens - u.cachedTokens - writes),
    output_tokens: u.completionTokens,
    cache_creation_input_tokens: writes,
    cache_read_input_tokens: u.cachedTokens,
  };
}

export function messageId(upstreamId: unknown): string {
  return typeof upstreamId === 'string' && upstreamId.startsWith('msg_')
    ? upstreamId
    : `msg_${randomBytes(12).toString('hex')}`;
}

function parseInput(args: unknown): unknown {
  if (typeof args !== 'string' || args === '') return {};
  try {
    return JSON.parse(args);
  } catch {
    // A model that produced invalid JSON: hand it over rather than lose it.
    return { _raw: args };
  }
}

/** The Messages answer for a chat completion body (the first choice: Messages has no `n`). */
export function chatToMessage(body: Buffer | string, usage: RawUsage | undefined, alias: string): Json {
  const j = JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as Json;
  const choice = ((j.choices as Json[] | undefined) ?? [])[0] ?? {};
  const msg = (choice.message ?? {}) as {
    content?: unknown;
    tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[];
  };
  const content: Json[] = [];
  if (typeof msg.content === 'string' && msg.content !== '') content.push({ type: 'text', text: msg.content });
  for (const tc of msg.tool_calls ?? [])
    content.push({
      type: 'tool_use',
      id: tc.id ?? `toolu_${randomBytes(12).toString('hex')}`,
      name: tc.function?.name ?? '',
      input: parseInput(tc.function?.arguments),
    });
  return {
    id: messageId(j.id),
    type: 'message',
    role: 'assistant',
    model: typeof j.model === 'string' ? j.model : alias,
    content,
    stop_reason: stopReason(choice.finish_reason as string | null | undefined),
    stop_sequence: null,
    usage: anthropicUsage(usage),
  };
}
