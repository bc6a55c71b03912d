import { PHASES } from './phases';
import type { Prepared } from './prepare';

/** The text and JSON of `aihub plugins list`: plugins, then each phase's hooks in run order. */
export function describePipeline(prepared: Prepared): { text: string; json: unknown } {
  const plugins = prepared.plugins.map((p) => ({
    name: p.definition.name,
    version: p.definition.version,
    description: p.definition.description ?? '',
    dependsOn: p.definition.dependsOn ?? [],
    optionalDependsOn: p.definition.optionalDependsOn ?? [],
    source: p.source,
  }));
  const phases = PHASES.map((phase) => ({
    phase,
    hooks: (prepared.pipeline.get(phase) ?? []).map((b) => ({ id: b.id, plugin: b.plugin, order: b.hook.order ?? 0 })),
  }));
  const lines: string[] = ['Plugins (start order):'];
  for (const p of plugins) {
    const deps = [...p.dependsOn, ...p.optionalDependsOn.map((d) => `${d}?`)];
    lines.push(
      `  ${p.name.padEnd(14)} ${p.version.padEnd(8)} ${deps.length ? `depends on ${deps.join(', ')}` : ''}`.trimEnd(),
    );
  }
  lines.push('', 'Pipeline (hooks by phase, in run order):');
  for (const { phase, hooks } of phases) {
    lines.push(`  ${phase.padEnd(20)} ${hooks.length ? hooks.map((h) => h.id).join(' → ') : '–'}`);
  }
  return { text: `${lines.join('\n')}\n`, json: { plugins, pipeline: phases } };
}
