import { StringDecoder } from 'node:string_decoder';

/**
 * Incremental parser of a server-sent event stream (WHATWG rules for `data:` lines: one event per
 * blank line, multi-line data joined with `\n`, comments and other fields ignored).
 */
export class SseParser {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private data: string[] = [];

  constructor(private readonly onEvent: (data: string) => void) {}

  push(chunk: Buffer | string): void {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let start = 0;
    for (;;) {
      const nl = this.buffer.indexOf('\n', start);
      if (nl === -1) break;
      let line = this.buffer.slice(start, nl);
      start = nl + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (this.data.length) {
          const data = this.data.join('\n');
          this.data = [];
          this.onEvent(data);
        }
      } else if (line.startsWith('data:')) {
        this.data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
      }
    }
    this.buffer = this.buffer.slice(start);
  }

  end(): void {
    this.push(this.decoder.end());
    if (this.buffer.length) this.push('\n');
    this.push('\n');
  }
}

interface ToolCallAcc {
  id?: string;
  type?: string;
  name: string;
  args: string;
}

interface ChoiceAcc {
  role?: string;
  content: string;
  refusal: string;
  hasContent: boolean;
  hasRefusal: boolean;
  tools: Map<number, ToolCallAcc>;
  finish: string | null;
  logprobs: unknown[] | undefined;
}

type Delta = {
  role?: string;
  content?: string | null;
  refusal?: string | null;
  tool_calls?: { index?: number; id?: string; type?: string; function?: { name?: string; arguments?: string } }[];
};

/**
 * Rebuilds the `chat.completion` a streamed answer amounts to, from its `chat.completion.chunk`
 * events. `complete` is true only after `[DONE]` with every choice finished and no error event.
 */
export class ChatStreamAssembler {
  private head: Record<string, unknown> | undefined;
  private readonly choices = new Map<number, ChoiceAcc>();
  private usage: unknown;
  private done = false;
  private error = false;

  /** Feeds one SSE event's data. */
  event(data: string): void {
    if (data === '[DONE]') {
      this.done = true;
      return;
    }
    let chunk: Record<string, unknown>;
    try {
      chunk = JSON.parse(data) as Record<string, unknown>;
    } catch {
      this.error = true;
      return;
    }
    if (chunk.error !== undefined) {
      this.error = true;
      return;
    }
    this.head ??= {
      id: chunk.id,
      created: chunk.created,
      model: chunk.model,
      system_fingerprint: chunk.system_fingerprint,
      service_tier: chunk.service_tier,
    };
    if (chunk.usage) this.usage = chunk.usage;
    if (!Array.isArray(chunk.choices)) return;
    for (const raw of chunk.choices as {
      index?: number;
      delta?: Delta;
      finish_reason?: string | null;
      logprobs?: { content?: unknown[] } | null;
    }[]) {
      const index = typeof raw.index === 'number' ? raw.index : 0;
      let acc = this.choices.get(index);
      if (!acc) {
        acc = {
          content: '',
          refusal: '',
          hasContent: false,
          hasRefusal: false,
          tools: new Map(),
          finish: null,
          logprobs: undefined,
        };
        this.choices.set(index, acc);
      }
      const d = raw.delta;
      if (d) {
        if (d.role) acc.role = d.role;
        if (typeof d.content === 'string') {
          acc.content += d.content;
          acc.hasContent = true;
        }
        if (typeof d.refusal === 'string') {
          acc.refusal += d.refusal;
          acc.hasRefusal = true;
        }
        if (Array.isArray(d.tool_calls)) {
          for (const t of d.tool_calls) {
            const k = typeof t.index === 'number' ? t.index : 0;
            let tool = acc.tools.get(k);
            if (!tool) acc.tools.set(k, (tool = { name: '', args: '' }));
            if (t.id) tool.id = t.id;
            if (t.type) tool.type = t.type;
            if (t.function?.name) tool.name += t.function.name;
            if (t.function?.arguments) tool.args += t.function.arguments;
          }
        }
      }
      if (raw.logprobs?.content && Array.isArray(raw.logprobs.content))
        (acc.logprobs ??= []).push(...raw.logprobs.content);
      if (raw.finish_reason) acc.finish = raw.finish_reason;
    }
  }

  get complete(): boolean {
    if (!this.done || this.error || !this.head || this.choices.size === 0) return false;
    for (const c of this.choices.values()) if (!c.finish) return false;
    return true;
  }

  get usageObject(): unknown {
    return this.usage;
  }

  /** The equivalent non-streaming response body. */
  result(): Record<string, unknown> {
    const h = this.head ?? {};
    const choices = [...this.choices.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([index, c]) => {
        const message: Record<string, unknown> = {
          role: c.role ?? 'assistant',
          content: c.hasContent ? c.content : null,
          refusal: c.hasRefusal ? c.refusal : null,
        };
        if (c.tools.size) {
          message.tool_calls = [...c.tools.entries()]
            .sort((a, b) => a[0] - b[0])
            .map(([, t]) => ({ id: t.id, type: t.type ?? 'function', function: { name: t.name, arguments: t.args } }));
        }
        return { index, message, logprobs: c.logprobs ? { content: c.logprobs } : null, finish_reason: c.finish };
      });
    const body: Record<string, unknown> = {
      id: h.id,
      object: 'chat.completion',
      created: h.created,
      model: h.model,
      choices,
    };
    if (h.system_fingerprint !== undefined && h.system_fingerprint !== null)
      body.system_fingerprint = h.system_fingerprint;
    if (h.service_tier !== undefined && h.service_tier !== null) body.service_tier = h.service_tier;
    if (this.usage) body.usage = this.usage;
    return body;
  }
}
