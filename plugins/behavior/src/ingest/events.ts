import { randomUUID } from 'node:crypto';
import { findUnstorable } from '@aihub/core/plugin-api';

export const EVENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

type Json = Record<string, unknown>;

/** An event as queued and stored: validated, normalized, PII policy applied. */
export interface StoredEvent {
  tenantId: string;
  messageId: string;
  type: EventType;
  /** track: the event name; page/screen: the page name. */
  event: string | null;
  userId: string | null;
  anonymousId: string | null;
  groupId: string | null;
  previousId: string | null;
  /** When it happened (ISO, UTC), corrected for client clock skew with sentAt. */
  timestamp: string;
  receivedAt: string;
  properties: Json | null;
  traits: Json | null;
  context: Json | null;
}

export interface EventError {
  /** Index in the batch (0 for single-event endpoints). */
  index: number;
  message_id: string | null;
  /** Where in the event: `userId`, `properties`, … */
  path: string;
  code: string;
  message: string;
}

export interface Limits {
  maxEventBytes: number;
  maxFutureSkewMs: number;
}

const ID_MAX = 200;
const NAME_MAX = 200;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `s` cut to at most `max` UTF-16 units, never between the halves of a surrogate pair: the event was
 * checked well-formed before, and a lone half left by the cut was stored by SQLite as invalid UTF-8
 * (its driver encodes it as is) and refused by PostgreSQL in the events' jsonb parameter (the event
 * dead-lettered), so the two databases disagreed. The character that does not fit is dropped whole.
 */
function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  const last = s.charCodeAt(max - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/** Segment ids may be strings or numbers; numbers become strings. */
function idOf(v: unknown): string | null | undefined {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string') return v;
  return undefined;
}

function parseTime(v: unknown): number | null | undefined {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const t = typeof v === 'number' ? v : Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

/**
 * Checks one event against the Segment spec and normalizes it. Returns every problem found (not only
 * the first), each with the field it concerns, so a client can fix a batch in one go.
 */
export function validateEvent(
  raw: unknown,
  index: number,
  impliedType: EventType | undefined,
  limits: Limits,
  receivedAtMs: number,
  batch?: { context?: Json; sentAt?: unknown },
): { event?: Omit<StoredEvent, 'tenantId'>; errors: EventError[] } {
  const errors: EventError[] = [];
  if (!isObject(raw))
    return {
      errors: [
        { index, message_id: null, path: '', code: 'invalid_event', message: 'Each event must be a JSON object.' },
      ],
    };
  const messageIdRaw = raw.messageId;
  const messageId =
    typeof messageIdRaw === 'string' && messageIdRaw.length > 0 && messageIdRaw.length <= 128 ? messageIdRaw : null;
  const fail = (path: string, code: string, message: string) =>
    errors.push({ index, message_id: messageId, path, code, message });

  if (messageIdRaw !== undefined && messageId === null)
    fail(
      'messageId',
      'invalid_message_id',
      'messageId must be a string of 1 to 128 characters (it de-duplicates retries).',
    );
  let size = 0;
  try {
    size = Buffer.byteLength(JSON.stringify(raw));
  } catch {
    fail('', 'invalid_event', 'The event cannot be encoded as JSON.');
  }
  if (size > limits.maxEventBytes)
    fail(
      '',
      'event_too_large',
      `The event is ${size} bytes; at most ${limits.maxEventBytes} are accepted. Send fewer properties.`,
    );
  else if (size > 0) {
    // What JSON carries but the database refuses (NUL, lone surrogates, 1e400 → Infinity) is refused
    // here, with its path, rather than accepted and then refused by the consumer.
    const bad = findUnstorable(raw);
    if (bad) fail(bad.path, bad.code, bad.message);
  }

  let type: EventType | undefined = impliedType;
  if (raw.type !== undefined) {
    if (!EVENT_TYPES.includes(raw.type as EventType))
      fail('type', 'invalid_type', `type must be one of ${EVENT_TYPES.join(', ')}.`);
    else if (impliedType && raw.type !== impliedType)
      fail(
        'type',
        'invalid_type',
        `This endpoint takes ${impliedType} events; send "${raw.type}" events to /v1/${raw.type} or /v1/batch.`,
      );
    else type = raw.type as EventType;
  } else if (!impliedType)
    fail('type', 'missing_type', `Events in a batch need a type: one of ${EVENT_TYPES.join(', ')}.`);

  const userId = idOf(raw.userId);
  const anonymousId = idOf(raw.anonymousId);
  if (userId === undefined || (userId && userId.length > ID_MAX))
    fail('userId', 'invalid_user_id', `userId must be a string or number of at most ${ID_MAX} characters.`);
  if (anonymousId === undefined || (anonymousId && anonymousId.length > ID_MAX))
    fail(
      'anonymousId',
      'invalid_anonymous_id',
      `anonymousId must be a string or number of at most ${ID_MAX} characters.`,
    );
  if (!userId && !anonymousId && userId !== undefined && anonymousId !== undefined)
    fail('userId', 'missing_identity', 'Every event needs a userId or an anonymousId.');

  let name: string | null = null;
  if (type === 'track') {
    if (typeof raw.event !== 'string' || raw.event.trim() === '')
      fail('event', 'missing_event', 'A track event needs an "event" name (a non-empty string).');
    else if (raw.event.length > NAME_MAX)
      fail('event', 'invalid_event_name', `The event name is longer than ${NAME_MAX} characters.`);
    else name = raw.event;
  } else if (type === 'page' || type === 'screen') {
    if (raw.name !== undefined && raw.name !== null && typeof raw.name !== 'string')
      fail('name', 'invalid_name', 'name must be a string.');
    else if (typeof raw.name === 'string') name = truncate(raw.name, NAME_MAX);
  }
  const groupId = idOf(raw.groupId);
  if (groupId === undefined || (groupId && groupId.length > ID_MAX))
    fail('groupId', 'invalid_group_id', `groupId must be a string or number of at most ${ID_MAX} characters.`);
  else if (type === 'group' && !groupId) fail('groupId', 'missing_group_id', 'A group event needs a groupId.');
  const previousId = idOf(raw.previousId);
  if (previousId === undefined || (previousId && previousId.length > ID_MAX))
    fail('previousId', 'invalid_previous_id', `previousId must be a string or number of at most ${ID_MAX} characters.`);
  else if (type === 'alias' && !previousId)
    fail('previousId', 'missing_previous_id', 'An alias event needs a previousId.');

  for (const field of ['properties', 'traits', 'context'] as const) {
    if (raw[field] !== undefined && raw[field] !== null && !isObject(raw[field]))
      fail(field, `invalid_${field}`, `${field} must be a JSON object.`);
  }

  const ts = parseTime(raw.timestamp ?? raw.originalTimestamp);
  const sentAt = parseTime(raw.sentAt ?? batch?.sentAt);
  if (ts === undefined) fail('timestamp', 'invalid_timestamp', 'timestamp must be an ISO-8601 date-time.');
  if (sentAt === undefined) fail('sentAt', 'invalid_timestamp', 'sentAt must be an ISO-8601 date-time.');
  if (errors.length) return { errors };

  // Segment's clock-skew correction: the client clock is off by (sentAt - receivedAt).
  let at = typeof ts === 'number' ? ts : receivedAtMs;
  if (typeof ts === 'number' && typeof sentAt === 'number') at = ts + (receivedAtMs - sentAt);
  if (at > receivedAtMs + limits.maxFutureSkewMs || at < Date.UTC(2000, 0, 1)) at = receivedAtMs;

  const context =
    isObject(raw.context) || isObject(batch?.context)
      ? { ...(batch?.context ?? {}), ...((raw.context as Json | undefined) ?? {}) }
      : null;
  const properties = isObject(raw.properties) ? raw.properties : null;
  // Page/screen: Segment puts name and category beside properties; keep both in properties.
  if ((type === 'page' || type === 'screen') && name !== null && properties && properties.name === undefined)
    properties.name = name;
  return {
    errors,
    event: {
      messageId: messageId ?? `srv-${randomUUID()}`,
      type: type!,
      event: name,
      userId: userId ?? null,
      anonymousId: anonymousId ?? null,
      groupId: groupId ?? null,
      previousId: previousId ?? null,
      timestamp: new Date(at).toISOString(),
      receivedAt: new Date(receivedAtMs).toISOString(),
      properties,
      traits: isObject(raw.traits) ? raw.traits : null,
      context,
    },
  };
}
