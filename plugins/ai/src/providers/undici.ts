import { createRequire } from 'node:module';

/**
 * undici as @aihub/core loads it, for the adapters' own Agents, error classes and token requests.
 *
 * Why not the plugin's own `require('undici')`: both packages pin the same version, but npm nests a
 * copy under each workspace (the root node_modules holds node-gyp's older undici), so the plugin's
 * require loaded the whole library a second time, WebAssembly parser included: ~2.4 MB of heap and
 * ~5 MB of idle RSS (issue 20). Core's copy is the one whose Agent carries the provider calls anyway.
 * `undici.test.ts` checks the two pins stay equal; the types are the plugin's own copy's.
 */
const undici = createRequire(require.resolve('@aihub/core'))('undici') as typeof import('undici');

export const { Agent, errors, request } = undici;
