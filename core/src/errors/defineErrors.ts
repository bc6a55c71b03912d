import { GatewayError, type GatewayErrorOptions, type OpenAiErrorType } from './GatewayError';

/**
 * One error a plugin (or core) can answer with. Codes are API: clients match on them, so an entry is
 * never renamed; where two codes mean the same thing both stay and `sameAs` says so.
 */
export interface ErrorSpec {
  /** The HTTP status the error answers with. */
  readonly status: number;
  /** Other statuses some routes answer this code with (kept for compatibility; say why in `message`). */
  readonly otherStatuses?: readonly number[];
  /** OpenAI error `type`, when not the one derived from the status. */
  readonly type?: OpenAiErrorType;
  /** What the error means, one sentence; also the message when a site gives none. */
  readonly message: string;
  /** What the client or operator should do about it, one sentence. */
  readonly fix: string;
  /** Another code that means the same thing (both are kept: clients match on either). */
  readonly sameAs?: string;
}

/** Options a site may add when it raises a table's error; code and status come from the table. */
export type RaiseOptions = Omit<GatewayErrorOptions, 'code' | 'status'>;

/**
 * A plugin's (or core's) error table: every code it answers with, in one place. `docs/errors.md` is
 * generated from all tables (`npm run errors:doc`), and a test fails when a source raises a code
 * that no table declares or a table declares a code nothing raises.
 */
export class ErrorTable<C extends string = string> {
  constructor(
    /** `core` or the plugin's name. */
    readonly scope: string,
    /** The entries, by code. */
    readonly entries: Readonly<Record<C, ErrorSpec>>,
  ) {}

  /** The codes, in table order. */
  codes(): C[] {
    return Object.keys(this.entries) as C[];
  }

  /**
   * A GatewayError for `code`, with the table's status and type. `message` is the sentence for this
   * occurrence (name the thing at fault and what to do); without one, the table's meaning and fix.
   */
  create(code: C, message?: string, options: RaiseOptions = {}): GatewayError {
    const spec = this.entries[code];
    return new GatewayError(message ?? `${spec.message} ${spec.fix}`, {
      ...options,
      code,
      status: spec.status,
      type: options.type ?? spec.type,
    });
  }
}

/**
 * Declares an error table. Keep one per plugin, in `src/errors.ts`, exported as `<Name>Errors`.
 *
 * @example
 * export const HelloErrors = defineErrors('hello', {
 *   greeting_too_long: { status: 400, message: 'The greeting is longer than 100 characters.', fix: 'Send a shorter greeting.' },
 * });
 * throw HelloErrors.create('greeting_too_long', undefined, { param: 'greeting' });
 */
export function defineErrors<const T extends Record<string, ErrorSpec>>(
  scope: string,
  entries: T,
): ErrorTable<keyof T & string> {
  return new ErrorTable<keyof T & string>(scope, entries as Readonly<Record<keyof T & string, ErrorSpec>>);
}
