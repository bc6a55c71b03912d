import type { Migration } from '@aihub/core/plugin-api';
import { migration as ops } from './0001_ops';
import { migration as eventRevision } from './0002_event_revision';

/** One file per migration, named as recorded in `aihub_migrations`; append new ones, never rename. */
export const opsMigrations: Migration[] = [ops, eventRevision];
