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

/**
 * Letters from other scripts that look like Latin ones (after lower-casing), so that "muslіm" with a
 * Cyrillic і reads as "muslim". Only the screening sees the folded text; the record keeps what was written.
 */
const CONFUSABLES: Readonly<Record<string, string>> = {
  // Cyrillic
  а: 'a', в: 'b', е: 'e', ё: 'e', з: '3', і: 'i', ї: 'i', ј: 'j', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p',
  с: 'c', т: 't', у: 'y', х: 'x', ѕ: 's', ԁ: 'd', һ: 'h', ӏ: 'l', ԛ: 'q', ԝ: 'w', ь: 'b', ү: 'y', ɡ: 'g',
  // Greek
  α: 'a', β: 'b', γ: 'y', ε: 'e', ζ: 'z', η: 'n', ι: 'i', κ: 'k', μ: 'u', ν: 'v', ο: 'o', ρ: 'p', τ: 't',
  υ: 'u', χ: 'x', ω: 'w',
  // Latin look-alikes
  ı: 'i', ȷ: 'j', ł: 'l', ø: 'o', đ: 'd', ħ: 'h',
};

interface Folded {
  /** The text as the screening reads it: NFKC, no format characters or accents, lower case, confusables folded. */
  text: string;
  /** For each UTF-16 unit of `text`, where its source character starts and ends in the original. */
  from: number[];
  to: number[];
}

/** Folds one character at a time so that every folded unit maps back to what was written. */
function fold(original: string): Folded {
  const out: Folded = { text: '', from: [], to: [] };
  let i = 0;
  for (const ch of original) {
    const start = i;
    i += ch.length;
    if (/\p{Cf}/u.test(ch)) continue; // zero-width joiners/spaces, soft hyphens, bidi marks
    let f = ch.normalize('NFKD').replace(/\p{M}/gu, '').normalize('NFKC').toLowerCase();
    f = Array.from(f, (c) => CONFUSABLES[c] ?? c).join('');
    for (let k = 0; k < f.length; k++) {
      out.text += f[k];
      out.from.push(start);
      out.to.push(i);
    }
  }
  return out;
}

/** Three or more single letters separated by spaces or punctuation ("m u s l i m", "g-a-y"). */
const SPACED_LETTERS = /(?<![\p{L}\p{N}])\p{L}(?:[\s\p{P}\p{S}]{1,3}\p{L}(?![\p{L}\p{N}])){2,}/gu;

export function createScreener(extraTerms: readonly string[] = []) {
  const terms = [...new Set([...BUILT_IN_SCREENED_TERMS, ...extraTerms.map((t) => fold(t.trim()).text)])].filter(Boolean);
  // Longest first so that "black man" wins over "black".
  terms.sort((a, b) => b.length - a.length);
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(${terms.map(escape).join('|')})(?![\\p{L}\\p{N}])`, 'u');
  // Inside a run of spaced letters the word boundaries are unknowable ("a j u n k i e"): any term counts.
  const joined = new RegExp(`(${terms.map((t) => escape(t.replace(/\s+/g, ''))).join('|')})`, 'u');
  return {
    /** The first screened phrase in `text`, or undefined when the text is acceptable. */
    check(text: string): ScreeningHit | undefined {
      const f = fold(text);
      const phrase = (start: number, end: number) => text.slice(f.from[start], f.to[end - 1]);
      const m = pattern.exec(f.text);
      if (m) return { term: m[1]!.replace(/\s+/g, ' '), phrase: phrase(m.index, m.index + m[1]!.length) };
      for (const run of f.text.matchAll(SPACED_LETTERS)) {
        const letters: number[] = [];
        for (let k = run.index; k < run.index + run[0].length; k++) if (/\p{L}/u.test(f.text[k]!)) letters.push(k);
        const hit = joined.exec(letters.map((k) => f.text[k]).join(''));
        if (!hit) continue;
        const term = terms.find((t) => t.replace(/\s+/g, '') === hit[1]) ?? hit[1]!;
        return { term, phrase: phrase(letters[hit.index]!, letters[hit.index + hit[1]!.length - 1]! + 1) };
      }
      return undefined;
    },
  };
}
export type Screener = ReturnType<typeof createScreener>;
