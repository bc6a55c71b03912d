import type { request as Request } from 'undici';
import { UndiciAgent, undiciErrors, undiciIndex } from '@aihub/core/plugin-api';

/**
 * undici as @aihub/core loads it, for the adapters' own Agents, error classes and token requests.
 *
 * Why not the plugin's own `require('undici')`: both packages pin the same version, but npm nests a
 * copy under each workspace (the root node_modules holds node-gyp's older undici), so the plugin's
 * require loaded the whole library a second time, WebAssembly parser included (~2.4 MB of heap and
 * ~5 MB of idle RSS); and core loads only the parts the gateway uses (issue 20). `undici.test.ts`
 * checks the two pins stay equal; the types are the plugin's own copy's.
 */
export const Agent = UndiciAgent;
export const errors = undiciErrors;
/** undici's top-level request (the whole library is loaded at the first call: token fetches only). */
export const request: typeof Request = ((...args: Parameters<typeof Request>) =>
  undiciIndex().request(...args)) as typeof Request;
