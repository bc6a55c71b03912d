import { ApiError } from '../../core/api/problem';
import { planProblemOnFields } from './plan-problem';

describe('planProblemOnFields', () => {
  it('turns every exceeded field into a field issue', () => {
    const err = new ApiError({
      status: 400,
      code: 'exceeds_plan',
      detail: 'too high',
      exceeded: [{ field: 'requestsPerMinute' }, { field: 'tokensPerMinute' }],
    } as never);
    const out = planProblemOnFields(err) as ApiError;
    expect(out.problem.errors?.map((e) => e.path)).toEqual(['body.requestsPerMinute', 'body.tokensPerMinute']);
    expect(out.problem.errors?.[0].message).toBe('too high');
  });
  it('leaves other errors alone', () => {
    const err = new ApiError({ status: 404, code: 'team_not_found', detail: 'no' });
    expect(planProblemOnFields(err)).toBe(err);
    expect(planProblemOnFields('boom')).toBe('boom');
  });
});
