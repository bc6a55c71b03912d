import type { PluginContext } from '@aihub/core/plugin-api';

/** Core service types as a plugin sees them (the plugin API exposes them through PluginContext). */
export type Store = PluginContext['store'];
export type Queue = PluginContext['queue'];
export type Db = PluginContext['database'];
export type Dialect = Db['dialect'];
export type Logger = PluginContext['logger'];
