import { budgetToText, spentShare, textToBudget } from './budget-form';

describe('budget form', () => {
  it('shows micro-dollars as exact dollars and empty for inherited fields', () => {
    expect(
      budgetToText({
        daily_hard_micros: 400,
        daily_soft_micros: null,
        monthly_hard_micros: 25_000_000,
        monthly_soft_micros: 1_500_000,
      }),
    ).toEqual({
      daily_hard_micros: '0.0004',
      daily_soft_micros: '',
      monthly_hard_micros: '25',
      monthly_soft_micros: '1.5',
    });
  });
  it('turns dollars into micro-dollars, empty into null', () => {
    expect(
      textToBudget({
        daily_hard_micros: '0.0004',
        daily_soft_micros: '',
        monthly_hard_micros: '25',
        monthly_soft_micros: '$1.5',
      }),
    ).toEqual({
      body: {
        daily_hard_micros: 400,
        daily_soft_micros: null,
        monthly_hard_micros: 25_000_000,
        monthly_soft_micros: 1_500_000,
      },
    });
  });
  it('names fields that are not amounts, and a soft limit above its hard limit', () => {
    expect(
      textToBudget({ daily_hard_micros: 'x', daily_soft_micros: '', monthly_hard_micros: '', monthly_soft_micros: '' }),
    ).toEqual({ invalid: [{ field: 'daily_hard_micros', reason: 'amount' }] });
    expect(
      textToBudget({
        daily_hard_micros: '1',
        daily_soft_micros: '2',
        monthly_hard_micros: '',
        monthly_soft_micros: '',
      }),
    ).toEqual({ invalid: [{ field: 'daily_soft_micros', reason: 'softAboveHard' }] });
  });
  it('computes the share spent', () => {
    expect(spentShare(200, 400)).toBe(0.5);
    expect(spentShare(500, 400)).toBe(1);
    expect(spentShare(5, null)).toBeNull();
    expect(spentShare(0, 0)).toBe(0);
  });
});
