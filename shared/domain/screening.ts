/**
 * Free-text screening: refuse text that records special-category data (ethnicity, religion, health,
 * sexuality, politics) or derogatory language. The built-in list is deliberately conservative
 * (whole words and phrases); deployments add terms through SCREENING_EXTRA_TERMS.
 */

export const BUILT_IN_SCREENED_TERMS: readonly string[] = [
  // ethnicity / race
  'ethnicity', 'ethnic', 'race', 'racial', 'black man', 'black woman', 'white man', 'white woman',
  'asian man', 'asian woman', 'aboriginal', 'gypsy', 'traveller', 'immigrant', 'foreigner',
  // religion
  'religion', 'religious', 'muslim', 'christian', 'jewish', 'hindu', 'sikh', 'buddhist', 'atheist',
  'hijab', 'turban', 'yarmulke',
  // health / disability
  'disabled', 'disability', 'wheelchair', 'pregnant', 'mental illness', 'mentally ill', 'autistic',
  'diabetic', 'hiv', 'epileptic', 'schizophrenic', 'depressed',
  // sexuality / gender identity
  'gay', 'lesbian', 'bisexual', 'transgender', 'homosexual', 'sexuality', 'sexual orientation',
  // politics / union
  'political', 'trade union', 'union member', 'labour voter', 'conservative voter',
  // derogatory language
  'junkie', 'scum', 'retard', 'retarded', 'tramp', 'pikey', 'chav', 'thug', 'lowlife', 'crackhead',
];

export interface ScreeningHit {
  term: string;
  /** The text as written where the term matched. */
  phrase: string;
}

function escape(term: string): string {
  return term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');
}

export function createScreener(extraTerms: readonly string[] = []) {
  const terms = [...new Set([...BUILT_IN_SCREENED_TERMS, ...extraTerms.map((t) => t.toLowerCase().trim())])].filter(Boolean);
  // Longest first so that "black man" wins over "black".
  terms.sort((a, b) => b.length - a.length);
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(${terms.map(escape).join('|')})(?![\\p{L}\\p{N}])`, 'iu');
  return {
    /** The first screened phrase in `text`, or undefined when the text is acceptable. */
    check(text: string): ScreeningHit | undefined {
      const m = pattern.exec(text.normalize('NFKC'));
      if (!m) return undefined;
      return { term: m[1]!.toLowerCase().replace(/\s+/g, ' '), phrase: m[1]! };
    },
  };
}
export type Screener = ReturnType<typeof createScreener>;
