import { CoreErrors } from '@aihub/core/plugin-api';
import type { Operation } from './types';
import { AiErrors } from './errors';

/**
 * OpenAI-style validation of the fields the gateway itself relies on, with OpenAI's error shape
 * (400 invalid_request_error, a `param`, codes like missing_required_parameter / invalid_type /
 * invalid_value). Everything else is the provider's to judge: the body passes through.
 */
const missing = (param: string) =>
  AiErrors.create('missing_required_parameter', `Missing required parameter: '${param}'.`, { param });
const invalidType = (param: string, expected: string) =>
  CoreErrors.create('invalid_type', `Invalid type for '${param}': expected ${expected}.`, { param });
const invalidValue = (param: string, message: string) =>
  AiErrors.create('invalid_value', `Invalid value for '${param}': ${message}`, { param });

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

function optionalNumber(body: Record<string, unknown>, key: string, min: number, max: number, integer = false): void {
  const v = body[key];
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || Number.isNaN(v)) throw invalidType(key, integer ? 'an integer' : 'a number');
  if (integer && !Number.isInteger(v)) throw invalidType(key, 'an integer');
  if (v < min || v > max) throw invalidValue(key, `expected a value between ${min} and ${max}, got ${v}.`);
}

export function validateBody(op: Operation, body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw CoreErrors.create('invalid_request', 'The request body must be a JSON object.', { param: null });
  }
  const b = body as Record<string, unknown>;
  if (b.model === undefined || b.model === null || b.model === '') throw missing('model');
  if (typeof b.model !== 'string') throw invalidType('model', 'a string');
  if (op === 'embeddings') {
    const input = b.input;
    if (input === undefined || input === null) throw missing('input');
    const ok =
      typeof input === 'string' ||
      (Array.isArray(input) &&
        input.length > 0 &&
        input.every(
          (x) =>
            typeof x === 'string' ||
            typeof x === 'number' ||
            (Array.isArray(x) && x.every((y) => typeof y === 'number')),
        ));
    if (!ok) throw invalidType('input', 'a string, an array of strings, or an array of token arrays');
    if (input === '' || (Array.isArray(input) && input.some((x) => x === '')))
      throw invalidValue('input', "'$.input' is invalid: empty strings are not allowed.");
    return b;
  }
  const messages = b.messages;
  if (messages === undefined) throw missing('messages');
  if (!Array.isArray(messages)) throw invalidType('messages', 'an array');
  if (messages.length === 0) throw invalidValue('messages', 'empty array. Expected an array with minimum length 1.');
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as { role?: unknown } | null;
    if (!m || typeof m !== 'object') throw invalidType(`messages[${i}]`, 'an object');
    if (m.role === undefined) throw missing(`messages[${i}].role`);
    if (typeof m.role !== 'string' || !ROLES.has(m.role))
      throw invalidValue(
        `messages[${i}].role`,
        `'${String(m.role)}' is not one of system, developer, user, assistant, tool.`,
      );
  }
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean')
    throw invalidType('stream', 'a boolean');
  if (
    b.stream_options !== undefined &&
    b.stream_options !== null &&
    (typeof b.stream_options !== 'object' || Array.isArray(b.stream_options))
  )
    throw invalidType('stream_options', 'an object');
  optionalNumber(b, 'temperature', 0, 2);
  optionalNumber(b, 'top_p', 0, 1);
  optionalNumber(b, 'n', 1, 128, true);
  optionalNumber(b, 'max_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  optionalNumber(b, 'max_completion_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  if (b.tools !== undefined && b.tools !== null && !Array.isArray(b.tools)) throw invalidType('tools', 'an array');
  return b;
}
