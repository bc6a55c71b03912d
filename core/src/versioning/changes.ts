import type { VersionChange } from './types';

/**
 * Core's own changes (routes core serves: `/admin/v1/plugins`, `/admin/v1/versions`, …). None yet:
 * the 2026-12-01 change is the ai plugin's (`/v1/models` pricing and context fields).
 */
export const coreVersionChanges: readonly VersionChange[] = [];
