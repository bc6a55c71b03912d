import { MEMBER_ROLES, touchesOwner } from './member';

describe('touchesOwner', () => {
  it('is true when owner is granted or taken away', () => {
    expect(touchesOwner('viewer', 'owner')).toBe(true);
    expect(touchesOwner('owner', 'admin')).toBe(true);
  });
  it('is false for other changes and no change', () => {
    expect(touchesOwner('viewer', 'admin')).toBe(false);
    expect(touchesOwner('owner', 'owner')).toBe(false);
  });
  it('lists every role once', () => {
    expect(new Set(MEMBER_ROLES).size).toBe(4);
  });
});
