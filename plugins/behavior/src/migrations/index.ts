import type { Migration } from '@aihub/core/plugin-api';
import { migration as behaviorEvents } from './0001_behavior_events';
import { migration as behaviorProfiles } from './0002_behavior_profiles';
import { migration as behaviorPrivacy } from './0003_behavior_privacy';
import { migration as behaviorAnalyticsIndexes } from './0004_behavior_analytics_indexes';
import { migration as behaviorDailyUsers } from './0005_behavior_daily_users';
import { migration as behaviorDailyTotals } from './0006_behavior_daily_totals';
import { migration as behaviorDailyUsersCover } from './0007_behavior_daily_users_cover';
import { migration as behaviorDailyGaps } from './0008_behavior_daily_gaps';
import { migration as behaviorUserMonths } from './0009_behavior_user_months';

/** One file per migration, named as recorded in `aihub_migrations`; append new ones, never rename. */
export const behaviorMigrations: Migration[] = [
  behaviorEvents,
  behaviorProfiles,
  behaviorPrivacy,
  behaviorAnalyticsIndexes,
  behaviorDailyUsers,
  behaviorDailyTotals,
  behaviorDailyUsersCover,
  behaviorDailyGaps,
  behaviorUserMonths,
];
