import type * as Undici from 'undici';

/**
 * What the gateway uses of undici, without undici's index: `require('undici')` loads the whole
 * library (fetch, WebSocket, EventSource, mock agents, cache stores: 110 modules, 4.1 MB of heap),
 * where the Agent, the error classes and the Dispatcher methods are 31 modules and 1.1 MB (issue 20,
 * idle RSS). The paths are undici's own files (it has no `exports` map; the version is pinned, and
 * undici.test.ts checks they are what the index exports). `undiciIndex()` loads the whole library
 * for the rare caller of its top-level functions (HttpClient.request: webhooks, token fetches).
 */
const Dispatcher = require('undici/lib/dispatcher/dispatcher') as typeof Undici.Dispatcher;
// As undici's index does: request / stream / pipeline / connect / upgrade on every dispatcher.
Object.assign(Dispatcher.prototype, require('undici/lib/api') as object);

/** undici's Agent (a keep-alive pool per origin). */
export const UndiciAgent = require('undici/lib/dispatcher/agent') as typeof Undici.Agent;
/** undici's error classes. */
export const undiciErrors = require('undici/lib/core/errors') as typeof Undici.errors;
/** The whole of undici (loaded at the first call). */
export const undiciIndex = (): typeof Undici => require('undici') as typeof Undici;
