import type { ProbeResult } from '@aihub/core/plugin-api';
import { AttemptSignal } from '../engine/AttemptSignal';
import type { Deployment } from '../routing/catalog';
import type { CallInput } from '../types';

/**
 * One synthetic request straight to the deployment (past routing, breaker and drain): a one-token
 * chat completion, or a one-word embedding for embedding-only providers.
 */
export async function probeDeployment(dep: Deployment, timeoutMs: number): Promise<ProbeResult> {
  const provider = dep.provider;
  const chat = provider.supports('chat');
  const call: CallInput = {
    op: chat ? 'chat' : 'embeddings',
    body: chat
      ? { model: dep.model, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 }
      : { model: dep.model, input: 'ping' },
    raw: undefined,
    stream: false,
    clientWantsUsage: false,
  };
  const signal = new AttemptSignal();
  const timer = setTimeout(() => signal.abort(), timeoutMs);
  const began = performance.now();
  try {
    const res = await provider.sendBuffered(call, dep.model, signal, undefined, {
      answer: 1024 * 1024,
      error: 64 * 1024,
    });
    const latencyMs = performance.now() - began;
    return res.statusCode < 300
      ? { ok: true, status: res.statusCode, latencyMs, error: null }
      : { ok: false, status: res.statusCode, latencyMs, error: 'status' };
  } catch {
    return {
      ok: false,
      status: null,
      latencyMs: performance.now() - began,
      error: signal.aborted ? 'timeout' : 'connection',
    };
  } finally {
    clearTimeout(timer);
  }
}
