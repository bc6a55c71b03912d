import { defineStateKey } from '../kernel/state';

/** The API version that serves the request (`YYYY-MM-DD`), set before the route handler runs; usage records carry it. */
export const ApiVersionKey = defineStateKey<string>('aihub.apiVersion');
