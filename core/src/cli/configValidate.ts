import type { Command } from 'commander';
import { dryContext } from '../kernel/dryContext';
import { prepare, type Prepared } from '../kernel/prepare';

/** A plugin's config warning with its full path (`plugins[2].config.providers.openai`). */
export interface ValidateWarning {
  plugin: string;
  path: string;
  message: string;
}

/**
 * Every plugin's `configWarnings`, read in a dry context over the validated config (nothing starts).
 * A plugin whose check throws gets a warning saying so instead of failing the validation.
 */
export function collectConfigWarnings(prepared: Prepared): ValidateWarning[] {
  const out: ValidateWarning[] = [];
  for (const p of prepared.plugins) {
    const def = p.definition;
    if (!def.configWarnings) continue;
    const prefix = ['plugins', p.index, 'config'] as const;
    const at = `plugins[${p.index}].config`;
    try {
      const ctx = dryContext(def, p.config, prepared.config, prepared.origins.under(prefix));
      for (const w of def.configWarnings(ctx))
        out.push({ plugin: def.name, path: w.path ? `${at}.${w.path}` : at, message: w.message });
    } catch (err) {
      out.push({
        plugin: def.name,
        path: at,
        message: `its config warnings could not be read: ${(err as Error).message}`,
      });
    }
  }
  return out;
}

/** What `config validate` prints for warnings (stderr), one per line under a count. */
export function formatWarnings(warnings: readonly ValidateWarning[]): string {
  if (!warnings.length) return '';
  const head = `${warnings.length} warning${warnings.length === 1 ? '' : 's'} (the config is valid; the gateway starts, but check these):`;
  return `${[head, ...warnings.map((w) => `  ${w.path}: ${w.message}`)].join('\n')}\n`;
}

/**
 * `aihub config validate [file]`: the checks of a start, without side effects. Problems exit 78 (as a
 * start would); warnings (a provider without its key, …) are printed to stderr and the exit stays 0,
 * since the same config starts and serves everything else.
 */
export function registerConfigValidate(config: Command, fail: (err: unknown) => never): void {
  config
    .command('validate [file]')
    .description('check a config file with the same checks as start, without side effects; warnings exit 0')
    .action(async (file?: string) => {
      try {
        const prepared = await prepare({ file });
        const warnings = collectConfigWarnings(prepared);
        process.stdout.write(
          `OK: ${prepared.file ?? 'config'} is valid (${prepared.plugins.length} plugins: ${prepared.plugins.map((p) => p.definition.name).join(', ')})${warnings.length ? `, with ${warnings.length} warning${warnings.length === 1 ? '' : 's'}` : ''}\n`,
        );
        process.stderr.write(formatWarnings(warnings));
      } catch (err) {
        fail(err);
      }
    });
}
