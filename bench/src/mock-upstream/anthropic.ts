import { completionText, countPromptTokens, word } from './content';
import type { Exchange } from './types';
import { countServed, sendJson, writeStream } from './write';

/** Anthropic's error body: `{type:"error", error:{type, message}}`. */
export function anthropicError(
  ex: Exchange,
  status: number,
  message: string,
  type?: string,
  headers?: Record<string, string>,
): void {
  ex.stats.failed++;
  const t =
    type ??
    (status === 429
      ? 'rate_limit_error'
      : status === 529
        ? 'overloaded_error'
        : status === 401
          ? 'authentication_error'
          : status >= 500
            ? 'api_error'
            : 'invalid_request_error');
  sendJson(ex, status, { type: 'error', error: { type: t, message } }, headers);
}

interface AnthropicTool {
  name?: string;
}

function chosenTool(body: Record<string, unknown>): string | undefined {
  const tools = body.tools as AnthropicTool[] | undefined;
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  const choice = body.tool_choice as { type?: string; name?: string } | undefined;
  if (choice?.type === 'none') return undefined;
  if (choice?.type === 'tool' && choice.name) return choice.name;
  return tools[0]?.name ?? 'tool';
}

const TOOL_INPUT_PARTS = ['{"query"', ':"mo', 'ck"}'];
const TOOL_TOKENS = 8;

const sse = (event: string, data: string) => `event: ${event}\ndata: ${data}\n\n`;

/** Anthropic's mid-stream error event. */
export const ANTHROPIC_STREAM_ERROR = sse(
  'error',
  '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
);

/** POST /v1/messages/count_tokens: the prompt's tokens as the mock counts them for its usage. */
export function countTokens(ex: Exchange): void {
  if (typeof ex.req.headers['anthropic-version'] !== 'string')
    return anthropicError(ex, 400, 'anthropic-version: header is required');
  if (!Array.isArray(ex.body.messages) || ex.body.messages.length === 0)
    return anthropicError(ex, 400, 'messages: Field required');
  sendJson(ex, 200, { input_tokens: countPromptTokens(ex.body) });
}

/** POST /v1/messages: the Anthropic Messages API, non-streaming and streaming. */
export function messages(ex: Exchange): void {
  const body = ex.body;
  if (typeof ex.req.headers['anthropic-version'] !== 'string') {
    anthropicError(ex, 400, 'anthropic-version: header is required');
    return;
  }
  if (typeof body.max_tokens !== 'number') {
    anthropicError(ex, 400, 'max_tokens: Field required');
    return;
  }
  const msgs = body.messages;
  if (!Array.isArray(msgs) || msgs.length === 0) {
    anthropicError(ex, 400, 'messages: Field required');
    return;
  }
  for (let i = 0; i < msgs.length; i++) {
    const role = (msgs[i] as { role?: unknown })?.role;
    if (role !== 'user' && role !== 'assistant') {
      anthropicError(ex, 400, `messages.${i}.role: Input should be 'user' or 'assistant'`);
      return;
    }
  }
  const model = typeof body.model === 'string' ? body.model : 'claude-mock';
  const inputTokens = countPromptTokens(body);
  const tool = chosenTool(body);
  const want = ex.failure?.completionTokens ?? ex.options.completionTokens;
  const max = body.max_tokens;
  const tokens = tool ? TOOL_TOKENS : Math.min(want, max);
  const stop = tool ? 'tool_use' : max < want ? 'max_tokens' : 'end_turn';
  const id = `msg_mock_${ex.seq}`;
  const usage = `{"input_tokens":${inputTokens},"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":${tokens}}`;

  if (body.stream !== true) {
    const content = tool
      ? `[{"type":"tool_use","id":"toolu_mock_${ex.seq}","name":${JSON.stringify(tool)},"input":{"query":"mock"}}]`
      : `[{"type":"text","text":${JSON.stringify(completionText(tokens))}}]`;
    ex.res.once('finish', () => countServed(ex, inputTokens, tokens, false));
    sendJson(
      ex,
      200,
      `{"id":"${id}","type":"message","role":"assistant","model":${JSON.stringify(model)},"content":${content},"stop_reason":"${stop}","stop_sequence":null,"usage":${usage}}`,
    );
    return;
  }

  const chunks: string[] = [];
  chunks.push(
    sse(
      'message_start',
      `{"type":"message_start","message":{"id":"${id}","type":"message","role":"assistant","model":${JSON.stringify(model)},"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":${inputTokens},"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}`,
    ),
  );
  let tokenChunks: number;
  if (tool) {
    chunks.push(
      sse(
        'content_block_start',
        `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_mock_${ex.seq}","name":${JSON.stringify(tool)},"input":{}}}`,
      ),
    );
    for (const part of TOOL_INPUT_PARTS)
      chunks.push(
        sse(
          'content_block_delta',
          `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":${JSON.stringify(part)}}}`,
        ),
      );
    tokenChunks = TOOL_INPUT_PARTS.length;
  } else {
    chunks.push(
      sse('content_block_start', '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}'),
    );
    chunks.push(sse('ping', '{"type": "ping"}'));
    for (let i = 0; i < tokens; i++)
      chunks.push(
        sse(
          'content_block_delta',
          `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":${JSON.stringify(word(i))}}}`,
        ),
      );
    tokenChunks = tokens;
  }
  chunks.push(sse('content_block_stop', '{"type":"content_block_stop","index":0}'));
  const outUsage = ex.failure?.noUsage ? '' : `,"usage":{"output_tokens":${tokens}}`;
  chunks.push(
    sse('message_delta', `{"type":"message_delta","delta":{"stop_reason":"${stop}","stop_sequence":null}${outUsage}}`),
  );
  chunks.push(sse('message_stop', '{"type":"message_stop"}'));
  writeStream(ex, {
    chunks,
    firstTokenChunk: tool ? 2 : 3,
    tokenChunks,
    promptTokens: inputTokens,
    completionTokens: tokens,
    errorChunk: ANTHROPIC_STREAM_ERROR,
  });
}
