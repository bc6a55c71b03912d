import { defineErrors } from '@aihub/core/plugin-api';

// Per-event problems are reported in the answer's `errors` list (with the event's index and
// messageId): 200 when some events were accepted, 400 `validation_failed` when none was.
const perEvent = 'Reported per event in `errors`; the other events of the batch are accepted.';

/** Every error the behavior plugin answers with (see docs/errors.md; `npm run errors:doc` regenerates it). */
export const BehaviorErrors = defineErrors('behavior', {
  // Ingest: the request.
  tenant_required: {
    status: 403,
    message: 'Events belong to a tenant, and the credential has none.',
    fix: 'Use a key of the tenant the events are for.',
  },
  invalid_batch: {
    status: 400,
    message: 'The body is not a Segment batch (`{"batch": [events…]}`) or the batch is empty.',
    fix: 'Send at least one event in `batch`.',
  },
  batch_too_large: {
    status: 413,
    message: 'The batch holds more events than the gateway accepts at once.',
    fix: 'Split it into smaller batches.',
  },
  events_unavailable: {
    status: 503,
    message: 'Events cannot be stored right now.',
    fix: 'Retry with the same messageId (duplicates are dropped).',
  },
  // Ingest: one event.
  invalid_event: {
    status: 400,
    message: `The event is not a JSON object or cannot be encoded as JSON. ${perEvent}`,
    fix: 'Send each event as a JSON object.',
  },
  event_too_large: {
    status: 400,
    message: `The event is larger than the per-event byte limit. ${perEvent}`,
    fix: 'Send fewer or smaller properties.',
  },
  missing_type: {
    status: 400,
    message: `An event in a batch has no type. ${perEvent}`,
    fix: 'Set type to track, identify, page, screen, group or alias.',
  },
  missing_identity: {
    status: 400,
    message: `The event has neither a userId nor an anonymousId. ${perEvent}`,
    fix: 'Send one of them.',
  },
  missing_event: {
    status: 400,
    message: `A track event has no event name. ${perEvent}`,
    fix: 'Send a non-empty "event".',
  },
  missing_group_id: { status: 400, message: `A group event has no groupId. ${perEvent}`, fix: 'Send the groupId.' },
  missing_previous_id: {
    status: 400,
    message: `An alias event has no previousId. ${perEvent}`,
    fix: 'Send the previousId.',
  },
  invalid_user_id: {
    status: 400,
    message: `userId is not a string or number of the allowed length. ${perEvent}`,
    fix: 'Send a shorter string or a number.',
  },
  invalid_anonymous_id: {
    status: 400,
    message: `anonymousId is not a string or number of the allowed length. ${perEvent}`,
    fix: 'Send a shorter string or a number.',
  },
  invalid_group_id: {
    status: 400,
    message: `groupId is not a string or number of the allowed length. ${perEvent}`,
    fix: 'Send a shorter string or a number.',
  },
  invalid_previous_id: {
    status: 400,
    message: `previousId is not a string or number of the allowed length. ${perEvent}`,
    fix: 'Send a shorter string or a number.',
  },
  invalid_message_id: {
    status: 400,
    message: `messageId is not a string of 1 to 128 characters (it de-duplicates retries). ${perEvent}`,
    fix: 'Send a valid messageId, or none (one is assigned).',
  },
  invalid_event_name: { status: 400, message: `The event name is too long. ${perEvent}`, fix: 'Send a shorter name.' },
  invalid_name: {
    status: 400,
    message: `A page or screen name is not a string. ${perEvent}`,
    fix: 'Send name as a string.',
  },
  invalid_timestamp: {
    status: 400,
    message: `timestamp (or sentAt) is not an ISO-8601 date-time. ${perEvent}`,
    fix: 'Send an ISO-8601 date-time with its offset.',
  },
  invalid_properties: {
    status: 400,
    message: `properties is not a JSON object. ${perEvent}`,
    fix: 'Send properties as an object.',
  },
  invalid_traits: {
    status: 400,
    message: `traits is not a JSON object. ${perEvent}`,
    fix: 'Send traits as an object.',
  },
  invalid_context: {
    status: 400,
    message: `context is not a JSON object. ${perEvent}`,
    fix: 'Send context as an object.',
  },
  // Analytics.
  invalid_duration: {
    status: 400,
    message: 'A duration parameter is malformed or out of range.',
    fix: 'Send a duration like 30m, 12h or 7d within the range the message names.',
  },
  invalid_interval: {
    status: 400,
    message: 'The interval would make too many buckets for the range.',
    fix: 'Use a larger interval or a shorter range.',
  },
  invalid_property: {
    status: 400,
    message: 'A property name is not one the analytics can read.',
    fix: 'Use letters, digits, _ $ - and spaces, with dots for nested objects.',
  },
  invalid_steps: {
    status: 400,
    message: 'A funnel needs 2 to 10 steps.',
    fix: 'Send steps=signup,activate,purchase (2 to 10 event names).',
  },
  query_too_large: {
    status: 422,
    message: 'The query would read or return more than the gateway allows in one answer.',
    fix: 'Narrow the time range or the filters, or use a larger interval.',
  },
  // Analytics: the database failed the read (src/analytics/readErrors.ts; the cause is in the gateway's log).
  analytics_busy: {
    status: 503,
    message:
      'The analytics could not read the SQLite database: another connection held it locked past the busy timeout.',
    fix: 'Retry after the seconds in Retry-After; if it persists, look for a long write or another process holding the database file locked.',
  },
  analytics_unavailable: {
    status: 503,
    message:
      'The analytics could not reach the database (the server is down, restarting or out of connections, or the database is closed).',
    fix: 'Retry after the seconds in Retry-After; if it persists, check the database server and the gateway’s database pool.',
  },
  analytics_database_damaged: {
    status: 500,
    message:
      'The analytics read a database file that is damaged or is not an SQLite database (SQLITE_CORRUPT, SQLITE_NOTADB).',
    fix: 'Run PRAGMA integrity_check on the database file and restore it from a backup if it fails.',
  },
  analytics_storage_failed: {
    status: 500,
    message:
      'The analytics could not read the database file: it cannot be opened, or the disk failed or is full (SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_FULL, SQLITE_PERM).',
    fix: 'Check that the database file and its directory exist and are readable and writable by the gateway, and the disk’s space and health.',
  },
  analytics_read_failed: {
    status: 500,
    message: 'The database refused an analytics query.',
    fix: 'Report it with the request id: the gateway’s log has the database’s error (`db_code` names its code).',
  },
});
