import { type TenantSettings, CoreErrors } from '@aihub/core/plugin-api';
import type { AiConfig } from './config';
import { redactMessages } from './pii';
import { AiErrors } from './errors';

/**
 * Per-tenant content transforms of a chat request (request.transform), each switched by the
 * tenant's settings and allowed globally by config:
 *
 * - system prompt: `settings.systemPrompt` becomes the first system message;
 * - prompt templates: `metadata.aihub_template: "<name>"` renders `settings.promptTemplates[name]`
 *   with `{{variable}}` placeholders filled from `aihub_variables: {...}` (top-level field) or
 *   `metadata.aihub_var_<name>` entries, as a system message after the tenant's;
 * - PII redaction: `settings.pii.redactPrompts` redacts e-mails, phones and cards in every message.
 *
 * Gateway-only fields (`aihub_variables`, `metadata.aihub_*`) are always removed before the body
 * goes upstream. Returns true when the body changed (its raw bytes can no longer be sent as-is).
 */
export function applyTransforms(
  body: Record<string, unknown>,
  settings: TenantSettings | undefined,
  config: AiConfig['transforms'],
): boolean {
  let changed = false;
  const meta = body.metadata as Record<string, unknown> | undefined;
  let template: string | undefined;
  let variables: Record<string, unknown> | undefined;
  if (meta && typeof meta === 'object') {
    for (const k of Object.keys(meta)) {
      if (!k.startsWith('aihub_')) continue;
      if (k === 'aihub_template') template = String(meta[k]);
      else if (k.startsWith('aihub_var_')) (variables ??= {})[k.slice('aihub_var_'.length)] = meta[k];
      delete meta[k];
      changed = true;
    }
    if (changed && Object.keys(meta).length === 0) delete body.metadata;
  }
  if (body.aihub_variables !== undefined) {
    const v = body.aihub_variables;
    if (!v || typeof v !== 'object' || Array.isArray(v))
      throw CoreErrors.create('invalid_type', 'aihub_variables must be an object of template variables.', {
        param: 'aihub_variables',
      });
    variables = { ...(v as Record<string, unknown>), ...variables };
    delete body.aihub_variables;
    changed = true;
  }

  const messages = body.messages as { role: string; content?: unknown }[];
  const prefix: { role: string; content: string }[] = [];
  if (config.systemPrompt && typeof settings?.systemPrompt === 'string' && settings.systemPrompt) {
    prefix.push({ role: 'system', content: settings.systemPrompt });
  }
  if (template !== undefined) {
    if (!config.templates)
      throw AiErrors.create('templates_disabled', 'Prompt templates are disabled on this gateway.', {
        param: 'metadata.aihub_template',
      });
    const text = settings?.promptTemplates?.[template];
    if (typeof text !== 'string')
      throw AiErrors.create('template_not_found', `Prompt template "${template}" does not exist for this tenant.`, {
        param: 'metadata.aihub_template',
      });
    prefix.push({ role: 'system', content: render(text, variables ?? {}) });
  }
  if (prefix.length) {
    body.messages = [...prefix, ...messages];
    changed = true;
  }
  const redact = settings?.pii?.redactPrompts ?? config.redactPromptsByDefault;
  if (config.pii && redact) {
    // Copy the messages the client sent before changing them (the cache and logs may hold the original).
    const copy = (body.messages as { content?: unknown }[]).map((m) => ({
      ...m,
      content: Array.isArray(m.content) ? m.content.map((p: object) => ({ ...p })) : m.content,
    }));
    if (redactMessages(copy) > 0) {
      body.messages = copy;
      changed = true;
    }
  }
  return changed;
}

/** `{{name}}` placeholders; a missing variable is the client's error, named in `param`. */
export function render(template: string, variables: Record<string, unknown>): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g, (_, name: string) => {
    const v = variables[name];
    if (v === undefined || v === null) {
      throw AiErrors.create(
        'template_variable_missing',
        `Prompt template variable "${name}" is missing; send it in aihub_variables.`,
        { param: `aihub_variables.${name}` },
      );
    }
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}
