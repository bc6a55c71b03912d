import type { AbstractControl, FormGroup } from '@angular/forms';
import { ApiError, type Problem } from '../../core/api/problem';

/**
 * Puts a problem+json answer next to the fields it concerns: every `errors[].path` (`body.name`,
 * `body.redirect_uris.0`) and `param` that names a control of `form` becomes that control's
 * `server` error (show it with `<mat-error>{{ control.errors?.['server'] }}</mat-error>`).
 * Returns the message for the form as a whole (shown next to the submit button), or null when every
 * issue landed on a field. `fields` maps API field names to control names where they differ;
 * `byCode` names the control a problem code concerns when the API names no field (e.g.
 * `{ slug_taken: 'slug' }`).
 */
export function applyProblem(
  form: FormGroup,
  error: unknown,
  fields: Record<string, string> = {},
  byCode: Record<string, string> = {},
): string | null {
  const problem: Problem =
    error instanceof ApiError
      ? error.problem
      : { status: 0, code: 'error', detail: error instanceof Error ? error.message : String(error) };
  let unplaced = false;
  const param = problem.param ?? byCode[problem.code];
  const issues = problem.errors?.length
    ? problem.errors
    : param
      ? [{ path: `body.${param}`, message: problem.detail }]
      : [];
  for (const issue of issues) {
    const control = controlFor(form, issue.path, fields);
    if (control) {
      control.setErrors({ ...(control.errors ?? {}), server: issue.message });
      control.markAsTouched();
    } else unplaced = true;
  }
  return issues.length === 0 || unplaced ? problem.detail : null;
}

function controlFor(form: FormGroup, path: string, fields: Record<string, string>): AbstractControl | null {
  const parts = path
    .replace(/^(body|query|params)\.?/, '')
    .split(/[.[\]]/)
    .filter(Boolean);
  if (!parts.length) return null;
  const name = fields[parts[0]] ?? parts[0];
  return form.get([name, ...parts.slice(1)]) ?? form.get(name);
}
