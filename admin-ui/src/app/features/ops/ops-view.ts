import type { paths } from '../../api/schema';
import { ACTIONS, OUTCOMES, type ActionType } from './rule-form';

export type OpsState = paths['/admin/v1/ops/state']['get']['responses'][200]['content']['application/json'];
export type OpsDeployment = OpsState['deployments'][number];
export type OpsAlias = OpsState['aliases'][number];
export type OpsEvent =
  paths['/admin/v1/ops/events']['get']['responses'][200]['content']['application/json']['data'][number];
export type Outcome = (typeof OUTCOMES)[number];
type EventsQuery = NonNullable<paths['/admin/v1/ops/events']['get']['parameters']['query']>;

/** Each outcome has a glyph beside its word, so the outcome never depends on colour alone. */
export const OUTCOME_GLYPHS: Record<Outcome, string> = { acted: '✓', dry_run: '◇', capped: '⊘', failed: '✕' };

/** The events page's URL state. */
export interface EventsUrl {
  rule: string;
  action: string;
  outcome: string;
  cursor: string;
  limit: number;
}

/**
 * The API query for the events page's URL: empty filters left out, and values the API would refuse
 * (an action or outcome typed into the URL by hand) dropped rather than turning the page into an error.
 */
export function eventsQuery(s: EventsUrl): EventsQuery {
  const q: EventsQuery = { limit: Math.min(200, Math.max(1, Math.trunc(s.limit) || 25)) };
  const rule = s.rule.trim();
  if (rule) q.rule = rule.slice(0, 64);
  if ((ACTIONS as readonly string[]).includes(s.action)) q.action = s.action as ActionType;
  if ((OUTCOMES as readonly string[]).includes(s.outcome)) q.outcome = s.outcome as Outcome;
  if (s.cursor) q.cursor = s.cursor;
  return q;
}

/** What the State tab lists: each control change now in effect, that an operator may undo. */
export interface ControlView {
  drained: OpsDeployment[];
  forced: OpsDeployment[];
  switched: OpsAlias[];
  /** Aliases routing by weight over more than one deployment (a weight override only matters there). */
  weighted: OpsAlias[];
}

export function controlView(state: OpsState): ControlView {
  return {
    drained: state.deployments.filter((d) => d.drained),
    forced: state.deployments.filter((d) => d.forcedBreaker !== null),
    switched: state.aliases.filter((a) => a.switchedToFallback),
    weighted: state.aliases.filter((a) => Object.keys(a.weights).length > 1),
  };
}

/** One deployment's weight in an alias, and whether control overrides the configured one. */
export interface WeightRow {
  deployment: string;
  weight: number;
  configured: number;
  overridden: boolean;
}

/** The alias' weights, each with its configured value and whether a rule or an operator overrode it. */
export function weightRows(a: OpsAlias): WeightRow[] {
  return Object.entries(a.weights).map(([deployment, weight]) => ({
    deployment,
    weight,
    configured: a.configuredWeights[deployment] ?? weight,
    overridden: a.overridden.includes(deployment),
  }));
}

/** `primary 3 · second 1` */
export function formatWeights(weights: Record<string, number>): string {
  return Object.entries(weights)
    .map(([dep, w]) => `${dep} ${w}`)
    .join(' · ');
}
