import { ApiError } from '../../core/api/problem';

/**
 * 400 `exceeds_plan` names the fields over the plan in `exceeded[]` (problem+json carries no
 * `param`), so this turns each into a field issue that `applyProblem` puts under its control — every
 * over-plan field is marked, not only the first. Other errors pass through unchanged.
 */
export function planProblemOnFields(err: unknown): unknown {
  if (!(err instanceof ApiError) || err.problem.code !== 'exceeds_plan') return err;
  const exceeded = (err.problem as { exceeded?: { field?: unknown }[] }).exceeded;
  if (!Array.isArray(exceeded) || exceeded.length === 0) return err;
  const errors = exceeded
    .filter((e) => typeof e.field === 'string')
    .map((e) => ({ path: `body.${String(e.field)}`, message: err.problem.detail }));
  return new ApiError({ ...err.problem, errors });
}
