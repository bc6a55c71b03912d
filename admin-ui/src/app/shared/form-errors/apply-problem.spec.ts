import { FormArray, FormControl, FormGroup } from '@angular/forms';
import { ApiError } from '../../core/api/problem';
import { applyProblem } from './apply-problem';

describe('applyProblem', () => {
  const form = () => new FormGroup({ name: new FormControl(''), slug: new FormControl('') });

  it('puts each validation issue on its field and leaves no form-level message', () => {
    const f = form();
    const err = new ApiError({
      status: 400,
      code: 'validation_failed',
      detail: 'Invalid body',
      errors: [{ path: 'body.slug', message: 'must be lower-case' }],
    });
    expect(applyProblem(f, err)).toBeNull();
    expect(f.controls.slug.errors?.['server']).toBe('must be lower-case');
  });

  it('uses `param` when there is no issue list', () => {
    const f = form();
    expect(
      applyProblem(f, new ApiError({ status: 409, code: 'slug_taken', detail: 'That slug is taken.', param: 'slug' })),
    ).toBeNull();
    expect(f.controls.slug.errors?.['server']).toBe('That slug is taken.');
  });

  it('follows an indexed `param` into a form array, and maps an API name to a control name', () => {
    const f = new FormGroup({ uris: new FormArray([new FormControl('a'), new FormControl('b')]) });
    const err = new ApiError({
      status: 400,
      code: 'invalid_redirect_uri',
      detail: 'Use https.',
      param: 'redirect_uris[1]',
    });
    expect(applyProblem(f, err, { redirect_uris: 'uris' })).toBeNull();
    expect(f.get(['uris', 1])?.errors?.['server']).toBe('Use https.');
    expect(f.get(['uris', 0])?.errors).toBeNull();
  });

  it('returns the detail when `param` names no control of the form', () => {
    const f = form();
    expect(applyProblem(f, new ApiError({ status: 409, code: 'email_taken', detail: 'Taken.', param: 'email' }))).toBe(
      'Taken.',
    );
  });

  it('places a code the caller maps to a field', () => {
    const f = form();
    expect(
      applyProblem(f, new ApiError({ status: 409, code: 'slug_taken', detail: 'Taken.' }), {}, { slug_taken: 'slug' }),
    ).toBeNull();
    expect(f.controls.slug.errors?.['server']).toBe('Taken.');
  });

  it('returns the detail when the problem names no field of the form', () => {
    const f = form();
    expect(applyProblem(f, new ApiError({ status: 403, code: 'permission_denied', detail: 'Not allowed.' }))).toBe(
      'Not allowed.',
    );
    expect(
      applyProblem(
        f,
        new ApiError({
          status: 400,
          code: 'validation_failed',
          detail: 'Bad',
          errors: [{ path: 'body.other', message: 'x' }],
        }),
      ),
    ).toBe('Bad');
  });
});
