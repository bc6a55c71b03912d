import type { paths } from '../../api/schema';

/** The body of `POST /admin/v1/ops/rules` (and of PUT). */
export type RuleBody = paths['/admin/v1/ops/rules']['post']['requestBody']['content']['application/json'];
/** A rule as listed, with where it comes from (`config` rules are read-only). */
export type OpsRule =
  paths['/admin/v1/ops/rules']['get']['responses'][200]['content']['application/json']['data'][number];
export type SignalName = RuleBody['when']['signal'];
export type ActionType = RuleBody['action']['type'];

export const SIGNALS = [
  'error_ratio',
  'latency_p95_ms',
  'ttft_p95_ms',
  'breaker_open',
  'budget_alert',
  'spend_anomaly',
  'queue_lag',
  'health_failing',
] as const satisfies readonly SignalName[];
export const ACTIONS = [
  'drain',
  'restore',
  'set_weight',
  'force_breaker',
  'switch_fallback',
  'suspend_key',
  'resume_key',
  'webhook',
] as const satisfies readonly ActionType[];
// The lists above must name every signal and action the API knows: a new one fails this typecheck.
type AllListed<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : false;
export const ALL_LISTED: AllListed<SignalName, (typeof SIGNALS)[number]> &
  AllListed<ActionType, (typeof ACTIONS)[number]> = true;

export const OUTCOMES = ['acted', 'dry_run', 'capped', 'failed'] as const;

/** The form's values: text fields as typed (numbers parsed on submit), nested like the API body. */
export interface RuleFormValue {
  name: string;
  description: string;
  enabled: boolean;
  dryRun: boolean;
  cooldownSeconds: string;
  when: { signal: SignalName; subject: string; above: string; windowSeconds: string; minSamples: string };
  action: {
    type: ActionType;
    target: string;
    alias: string;
    weight: string;
    state: '' | 'open' | 'closed' | 'auto';
    on: boolean;
    webhook: string;
    probe: boolean;
  };
}

/** A field the form refuses before sending, as the server would: its path (`when.above`) and the message key. */
export interface RuleIssue {
  path: string;
  key: 'name' | 'required' | 'number' | 'range' | 'integer' | 'tooLong';
  params?: Record<string, number>;
}

export const NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** An empty form with the server's defaults (window 60 s, 20 samples, cooldown 300 s, enabled, probe on). */
export function emptyRuleForm(): RuleFormValue {
  return {
    name: '',
    description: '',
    enabled: true,
    dryRun: false,
    cooldownSeconds: '300',
    when: { signal: 'error_ratio', subject: '', above: '', windowSeconds: '60', minSamples: '20' },
    action: { type: 'drain', target: '', alias: '', weight: '', state: '', on: true, webhook: '', probe: true },
  };
}

/** A stored rule in the form (for editing). */
export function ruleToForm(rule: RuleBody): RuleFormValue {
  const e = emptyRuleForm();
  const a = rule.action;
  return {
    name: rule.name,
    description: rule.description ?? '',
    enabled: rule.enabled ?? true,
    dryRun: rule.dryRun ?? false,
    cooldownSeconds: String(rule.cooldownSeconds ?? 300),
    when: {
      signal: rule.when.signal,
      subject: rule.when.subject ?? '',
      above: String(rule.when.above),
      windowSeconds: String(rule.when.windowSeconds ?? e.when.windowSeconds),
      minSamples: String(rule.when.minSamples ?? e.when.minSamples),
    },
    action: {
      type: a.type,
      target: a.target ?? '',
      alias: a.alias ?? '',
      weight: a.weight === undefined ? '' : String(a.weight),
      state: a.state ?? '',
      on: a.on ?? true,
      webhook: a.webhook ?? '',
      probe: a.probe ?? true,
    },
  };
}

/**
 * The API body from the form, checked the way the server checks it (name pattern, number ranges, the
 * fields each action needs), so most mistakes are shown at once next to their field; the server's
 * answer (e.g. an unknown deployment) is still shown the same way through `applyProblem`. Only the
 * fields the chosen action uses are sent.
 */
export function formToRule(v: RuleFormValue): { body: RuleBody } | { invalid: RuleIssue[] } {
  const invalid: RuleIssue[] = [];
  const name = v.name.trim();
  if (!NAME_PATTERN.test(name)) invalid.push({ path: 'name', key: 'name' });
  const description = v.description.trim();
  if (description.length > 500) invalid.push({ path: 'description', key: 'tooLong', params: { max: 500 } });

  const num = (path: string, text: string, opts: { min?: number; max?: number; int?: boolean; need?: boolean }) => {
    const s = text.trim();
    if (s === '') {
      if (opts.need) invalid.push({ path, key: 'required' });
      return undefined;
    }
    const n = Number(s);
    const inRange =
      Number.isFinite(n) && (opts.min === undefined || n >= opts.min) && (opts.max === undefined || n <= opts.max);
    if (!inRange || (opts.int && !Number.isInteger(n))) {
      invalid.push({
        path,
        key: opts.int ? 'integer' : opts.min === undefined ? 'number' : 'range',
        params: opts.min === undefined ? undefined : { min: opts.min, max: opts.max ?? Number.MAX_SAFE_INTEGER },
      });
      return undefined;
    }
    return n;
  };
  const above = num('when.above', v.when.above, { need: true });
  const windowSeconds = num('when.windowSeconds', v.when.windowSeconds, { min: 5, max: 3600, int: true, need: true });
  const minSamples = num('when.minSamples', v.when.minSamples, { min: 1, max: 1_000_000, int: true, need: true });
  const cooldownSeconds = num('cooldownSeconds', v.cooldownSeconds, { min: 0, max: 7 * 86_400, int: true, need: true });

  const a = v.action;
  const text = (path: string, s: string, max: number) => {
    const t = s.trim();
    if (t.length > max) invalid.push({ path, key: 'tooLong', params: { max } });
    return t || undefined;
  };
  const subject = text('when.subject', v.when.subject, 200);
  const action: RuleBody['action'] = { type: a.type };
  const target = text('action.target', a.target, 200);
  if (target && a.type !== 'webhook') action.target = target;
  if (a.type === 'set_weight') {
    action.alias = text('action.alias', a.alias, 200);
    if (!action.alias) invalid.push({ path: 'action.alias', key: 'required' });
    action.weight = num('action.weight', a.weight, { min: 0, max: 1_000_000, need: true });
  }
  if (a.type === 'force_breaker') {
    if (!a.state) invalid.push({ path: 'action.state', key: 'required' });
    else action.state = a.state;
  }
  if (a.type === 'switch_fallback') action.on = a.on;
  if (a.type === 'webhook') {
    action.webhook = text('action.webhook', a.webhook, 64);
    if (!action.webhook) invalid.push({ path: 'action.webhook', key: 'required' });
  }
  if (a.type === 'drain') action.probe = a.probe;

  if (invalid.length) return { invalid };
  return {
    body: {
      name,
      ...(description ? { description } : {}),
      enabled: v.enabled,
      dryRun: v.dryRun,
      cooldownSeconds: cooldownSeconds!,
      when: {
        signal: v.when.signal,
        ...(subject ? { subject } : {}),
        above: above!,
        windowSeconds: windowSeconds!,
        minSamples: minSamples!,
      },
      action,
    },
  };
}

/** Which action fields the form shows for an action type. */
export function actionFields(type: ActionType): {
  target: boolean;
  alias: boolean;
  weight: boolean;
  state: boolean;
  on: boolean;
  webhook: boolean;
  probe: boolean;
} {
  return {
    target: type !== 'webhook',
    alias: type === 'set_weight',
    weight: type === 'set_weight',
    state: type === 'force_breaker',
    on: type === 'switch_fallback',
    webhook: type === 'webhook',
    probe: type === 'drain',
  };
}

/** A duration in seconds as the shortest exact unit: `45 s`, `5 min`, `2 h`, `1 d`. */
export function formatSeconds(s: number): string {
  if (s >= 86_400 && s % 86_400 === 0) return `${s / 86_400} d`;
  if (s >= 3600 && s % 3600 === 0) return `${s / 3600} h`;
  if (s >= 60 && s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}
