import { ratioTarget, verdict } from '../bench/lib/stats.js';

// How the benchmark judges a figure from its rounds (bench/lib/stats.js): the README's table says
// met, missed or not resolved on this rule alone.
describe('the benchmark verdict', () => {
  const atLeast95 = ratioTarget('>=', 0.95); // margin 0.05

  it('is met or missed when every round says so, however wide the spread', () => {
    expect(verdict([0.96, 1.2, 0.99], atLeast95)).toBe('met');
    expect(verdict([0.5, 0.9, 0.94], atLeast95)).toBe('missed');
  });

  it('lets the median decide rounds on both sides of the target when they spread less than the margin', () => {
    expect(verdict([0.94, 0.96, 0.97], atLeast95)).toBe('met');
    expect(verdict([0.93, 0.94, 0.96], atLeast95)).toBe('missed');
  });

  it('is not resolved when rounds on both sides spread wider than the margin', () => {
    expect(verdict([0.9, 0.97, 1.02], atLeast95)).toBe('not resolved');
    expect(verdict([], atLeast95)).toBe('not resolved');
  });

  it('judges an upper bound the same way', () => {
    const atMost103 = ratioTarget('<=', 1.03);
    expect(atMost103.margin).toBeCloseTo(0.03);
    expect(verdict([1.0, 1.02], atMost103)).toBe('met');
    expect(verdict([1.01, 1.05, 1.1], atMost103)).toBe('not resolved');
    expect(verdict([1.04, 1.05], atMost103)).toBe('missed');
  });

  it('has no verdict for a figure without a target', () => {
    expect(verdict([1, 2, 3], undefined)).toBe('reference');
  });
});
