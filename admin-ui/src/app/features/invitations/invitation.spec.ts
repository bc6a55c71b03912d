import { toStatusFilter } from './invitation';

describe('toStatusFilter', () => {
  it('passes a known status through', () => {
    expect(toStatusFilter('pending')).toBe('pending');
    expect(toStatusFilter('expired')).toBe('expired');
  });
  it('lists everything for empty or unknown values', () => {
    expect(toStatusFilter('')).toBeUndefined();
    expect(toStatusFilter('bogus')).toBeUndefined();
    expect(toStatusFilter('all')).toBeUndefined();
  });
});
