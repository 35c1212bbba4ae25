import { describe, expect, it } from 'vitest';
import { createScreener } from './screening.js';

/** Evasions found by the issue-14 attack: each was stored (201) instead of refused (422). */
describe('screening normalises text before matching (issue 14)', () => {
  const screener = createScreener();

  it.each([
    ['zero-width joiner', 'suspect is mus\u200Dlim'],
    ['zero-width space', 'suspect is m\u200Buslim'],
    ['soft hyphen', 'suspect is mus\u00ADlim'],
    ['word joiner and bidi marks', 'suspect is mu\u2060s\u200Elim'],
  ])('refuses a term split by a format character (%s)', (_what, text) => {
    expect(screener.check(text)?.term).toBe('muslim');
  });

  it.each([
    ['Cyrillic і', 'suspect is muslіm'],
    ['Cyrillic о and е', 'known junkіе, gоt away'],
    ['Cyrillic capitals', 'the man looked GАY'],
    ['Greek ο', 'a hοmοsexual'],
    ['fullwidth letters', 'suspect is ｍｕｓｌｉｍ'],
    ['accents', 'suspect is mùslim'],
  ])('refuses a term written with confusable letters (%s)', (_what, text) => {
    expect(screener.check(text)).toBeDefined();
  });

  it.each([
    ['spaces', 'suspect is m u s l i m'],
    ['wide spaces', 'suspect is m  u   s l i m'],
    ['dots', 'suspect is m.u.s.l.i.m.'],
    ['hyphens', 'the man is g-a-y'],
    ['underscores and stars', 'a j_u_n_k_i_e and a h*i*v case'],
    ['spaces and a Cyrillic letter', 'suspect is m u s l і m'],
  ])('refuses a term whose letters are separated (%s)', (_what, text) => {
    expect(screener.check(text)).toBeDefined();
  });

  it('names the phrase as it was written', () => {
    expect(screener.check('suspect is m u s l i m, tall')).toEqual({ term: 'muslim', phrase: 'm u s l i m' });
    expect(screener.check('suspect is mus\u200Dlim')).toEqual({ term: 'muslim', phrase: 'mus\u200Dlim' });
    expect(screener.check('known junkіе')).toEqual({ term: 'junkie', phrase: 'junkіе' });
  });

  it.each([
    'Took a muslin scarf and a racing magazine',
    'Archive footage from camera 2; he hived off to aisle 4',
    'Section H IV of the store plan, row G A',
    'Items: A, B, C and D taken; the gaylord hotel receipt',
    'Paid with card ending 4 2 1 7, code r a c',
    'Café au lait and crème brûlée taken from the chiller',
    'Москва souvenir magnet taken (Cyrillic text on the label)',
    'The man said "I am OK" and left via exit B',
    'Unit 3 (traceable) – racks 7-9, the U.S.A. flag display',
  ])('does not flag ordinary text that merely contains the letters: %s', (text) => {
    expect(screener.check(text)).toBeUndefined();
  });
});
