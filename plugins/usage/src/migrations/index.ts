import type { Migration } from '@aihub/core/plugin-api';
import { migration as usageRecords } from './0001_usage_records';
import { migration as usageDaily } from './0002_usage_daily';
import { migration as usagePending } from './0003_usage_pending';
import { migration as usageBudgets } from './0004_usage_budgets';
import { migration as usageRejected } from './0005_usage_rejected';
import { migration as usageRequestDetail } from './0006_usage_request_detail';
import { migration as usageLatencyHistogram } from './0007_usage_latency_histogram';
import { migration as usageAnswered } from './0008_usage_answered';
import { migration as usageCacheWriteReasoningTokens } from './0009_usage_cache_write_reasoning_tokens';
import { migration as usageApiVersion } from './0010_usage_api_version';

/** One file per migration, named as recorded in `aihub_migrations`; append new ones, never rename. */
export const usageMigrations: Migration[] = [
  usageRecords,
  usageDaily,
  usagePending,
  usageBudgets,
  usageRejected,
  usageRequestDetail,
  usageLatencyHistogram,
  usageAnswered,
  usageCacheWriteReasoningTokens,
  usageApiVersion,
];
