import { describe, expect, it } from 'vitest';
import { parseRange } from './evidence.js';

describe('HTTP Range parsing', () => {
  it('handles the single-range forms', () => {
    expect(parseRange(null, 100)).toBeUndefined();
    expect(parseRange('bytes=0-9', 100)).toEqual({ offset: 0, count: 10 });
    expect(parseRange('bytes=90-', 100)).toEqual({ offset: 90, count: 10 });
    expect(parseRange('bytes=-5', 100)).toEqual({ offset: 95, count: 5 });
    expect(parseRange('bytes=95-1000', 100)).toEqual({ offset: 95, count: 5 });
  });
  it('refuses unsatisfiable ranges and ignores malformed ones', () => {
    expect(parseRange('bytes=100-', 100)).toBe('invalid');
    expect(parseRange('bytes=9-3', 100)).toBe('invalid');
    expect(parseRange('bytes=-0', 100)).toBe('invalid');
    expect(parseRange('items=0-1', 100)).toBeUndefined();
    expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined();
  });
});
