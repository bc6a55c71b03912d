import { definePlugin, type PluginContext, type PluginDefinition } from '../plugin-api';

/** A plugin that hands its context to the test: the gateway's queue, store and database. */
export function probePlugin(): { plugin: PluginDefinition; ctx: () => PluginContext } {
  let captured: PluginContext | undefined;
  const plugin = definePlugin({
    apiVersion: 'aihub.plugin/v1',
    name: 'test-probe',
    version: '0.0.0',
    core: '*',
    start(ctx) {
      captured = ctx;
    },
  });
  return {
    plugin,
    ctx: () => {
      if (!captured) throw new Error('probe plugin not started');
      return captured;
    },
  };
}

/** Reads one sample from Prometheus text (`name{labels} value`); 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const labelText = rest[0] === '{' ? rest.slice(1, rest.indexOf('}')) : '';
    const ok = Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`));
    if (!ok) continue;
    found = true;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return found ? total : 0;
}
