/**
 * PII redaction for prompts (and for any plugin that imports it from @aihub/plugin-ai): e-mail
 * addresses, payment card numbers (13–19 digits, spaces or dashes allowed, kept only when the Luhn
 * checksum holds, so order numbers and timestamps survive) and phone numbers (7–15 digits in the
 * usual international and national notations).
 */
export interface PiiRedactionOptions {
  emails?: boolean;
  cards?: boolean;
  phones?: boolean;
  /** Replacement texts. */
  placeholders?: Partial<Record<PiiKind, string>>;
}

export type PiiKind = 'email' | 'card' | 'phone';

export interface PiiRedaction {
  text: string;
  counts: Record<PiiKind, number>;
}

const DEFAULT_PLACEHOLDERS: Record<PiiKind, string> = {
  email: '[REDACTED_EMAIL]',
  card: '[REDACTED_CARD]',
  phone: '[REDACTED_PHONE]',
};

const EMAIL =
  /[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}/g;
const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
const DATE = /^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{4}$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const PHONE = /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){1,4}(?![\w])/g;

/** The Luhn (mod 10) checksum of a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** Cheap pre-check: text without '@' and with fewer than 7 digits has nothing to redact. */
function mayContainPii(text: string): boolean {
  if (text.indexOf('@') !== -1) return true;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57 && ++digits >= 7) return true;
  }
  return false;
}

/** Redacts e-mails, Luhn-valid card numbers and phone numbers in a text. */
export function redactPii(text: string, options: PiiRedactionOptions = {}): PiiRedaction {
  const counts: Record<PiiKind, number> = { email: 0, card: 0, phone: 0 };
  if (!mayContainPii(text)) return { text, counts };
  const ph = { ...DEFAULT_PLACEHOLDERS, ...options.placeholders };
  let out = text;
  if (options.emails !== false) {
    out = out.replace(EMAIL, () => {
      counts.email++;
      return ph.email;
    });
  }
  if (options.cards !== false) {
    out = out.replace(CARD, (m) => {
      const digits = m.replace(/[ -]/g, '');
      if (digits.length < 13 || digits.length > 19 || !luhnValid(digits)) return m;
      counts.card++;
      return ph.card;
    });
  }
  if (options.phones !== false) {
    out = out.replace(PHONE, (m) => {
      const digits = m.replace(/\D/g, '').length;
      if (digits < 7 || digits > 15) return m;
      // A bare run of digits without a + or separators is more likely an id than a phone number;
      // dates and IPv4 addresses look like numbers with separators but are neither.
      if (!/[+\s().-]/.test(m) && digits < 10) return m;
      if (DATE.test(m) || IPV4.test(m)) return m;
      counts.phone++;
      return ph.phone;
    });
  }
  return { text: out, counts };
}

/**
 * Redacts the text of chat messages in place (string contents and text parts). Returns how many
 * items were redacted.
 */
export function redactMessages(messages: { content?: unknown }[], options?: PiiRedactionOptions): number {
  let n = 0;
  const one = (t: string) => {
    const r = redactPii(t, options);
    n += r.counts.email + r.counts.card + r.counts.phone;
    return r.text;
  };
  for (const m of messages) {
    if (typeof m.content === 'string') m.content = one(m.content);
    else if (Array.isArray(m.content)) {
      for (const part of m.content as { type?: string; text?: unknown }[])
        if (part && typeof part.text === 'string') part.text = one(part.text);
    }
  }
  return n;
}
