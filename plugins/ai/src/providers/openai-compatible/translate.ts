import { createHash } from 'node:crypto';
import type { CallInput } from '../../types';
import { openAiBody } from '../openai/translate';
import type { Preset, PresetName } from './presets';

type Msg = Record<string, unknown> & { role?: string; tool_calls?: Record<string, unknown>[]; tool_call_id?: unknown };

/** Fields Mistral's chat API does not define; it answers an unknown field with a 422. */
const MISTRAL_UNKNOWN = [
  'user',
  'stream_options',
  'store',
  'metadata',
  'service_tier',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'modalities',
  'audio',
  'prediction_type',
];
const MISTRAL_ID = /^[A-Za-z0-9]{9}$/;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Mistral accepts only tool call ids of 9 letters and digits (its own format): an id from another
 * provider (OpenAI's `call_…`) is mapped to one derived from it, the same in the assistant's
 * tool_calls and in the tool message answering it, so the pair still matches.
 */
export function mistralToolCallId(id: string): string {
  if (MISTRAL_ID.test(id)) return id;
  const h = createHash('sha256').update(id).digest();
  let out = '';
  for (let i = 0; i < 9; i++) out += ALNUM[h[i] % ALNUM.length];
  return out;
}

function mistralBody(body: Record<string, unknown>, model: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body, model };
  for (const k of MISTRAL_UNKNOWN) delete out[k];
  if (out.seed !== undefined) {
    out.random_seed ??= out.seed;
    delete out.seed;
  }
  if (out.max_completion_tokens !== undefined) {
    out.max_tokens ??= out.max_completion_tokens;
    delete out.max_completion_tokens;
  }
  if (Array.isArray(body.messages)) {
    out.messages = (body.messages as Msg[]).map((m) => {
      if (m.role === 'assistant' && Array.isArray(m.tool_calls)) {
        return {
          ...m,
          tool_calls: m.tool_calls.map((tc) =>
            typeof tc.id === 'string' ? { ...tc, id: mistralToolCallId(tc.id) } : tc,
          ),
        };
      }
      if (m.role === 'tool' && typeof m.tool_call_id === 'string')
        return { ...m, tool_call_id: mistralToolCallId(m.tool_call_id) };
      return m;
    });
  }
  return out;
}

/** A message field the preset's server refuses in requests, if any message has it. */
function refusedMessageField(preset: PresetName, messages: unknown): string | undefined {
  const field = preset === 'deepseek' ? 'reasoning_content' : preset === 'groq' ? 'name' : undefined;
  if (field === undefined || !Array.isArray(messages)) return undefined;
  return (messages as Msg[]).some((m) => m && typeof m === 'object' && m[field] !== undefined) ? field : undefined;
}

/**
 * The request body for a preset's server: the OpenAI body as it is (the client's bytes when
 * possible) unless the server needs something changed:
 * - mistral: unknown fields dropped, `seed` → `random_seed`, `max_completion_tokens` →
 *   `max_tokens`, tool call ids in its 9-character format;
 * - deepseek: `reasoning_content` of earlier assistant turns removed (refused with a 400), and
 *   `max_completion_tokens` → `max_tokens`;
 * - groq: `messages[].name` removed (refused with a 400).
 */
export function presetBody(name: PresetName, preset: Preset, call: CallInput, model: string): string | Buffer {
  const body = call.body;
  if (name === 'mistral') return JSON.stringify(mistralBody(body, model));
  const field = refusedMessageField(name, body.messages);
  const renameMax = name === 'deepseek' && body.max_completion_tokens !== undefined;
  // usage arrives anyway: nothing to inject (and the client's own stream_options passes through).
  const input = preset.streamUsage === 'always' ? { ...call, clientWantsUsage: true } : call;
  if (field === undefined && !renameMax) return openAiBody(input, model);
  const out: Record<string, unknown> = { ...body };
  if (field !== undefined) {
    out.messages = (body.messages as Msg[]).map((m) => {
      if (m?.[field] === undefined) return m;
      const { [field]: _dropped, ...rest } = m;
      return rest;
    });
  }
  if (renameMax) {
    out.max_tokens ??= out.max_completion_tokens;
    delete out.max_completion_tokens;
  }
  return openAiBody({ ...input, body: out, raw: undefined }, model);
}
