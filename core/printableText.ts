/**
 * C0 and C1 control characters, DEL, the bidirectional controls that reorder what follows them, and
 * characters that show as nothing: in a file name printed on a terminal they could clear the screen,
 * set its title, start a forged output line or make `photo‮gnp.exe` read backwards, and on a page
 * `Apple` with a zero-width space is another album that reads the same. The joiners (U+200C, U+200D)
 * stay: Persian words and emoji sequences need them.
 */
// DEL, C1, the bidirectional controls and the invisible ones (soft hyphen, combining grapheme joiner,
// the Hangul fillers, Khmer's invisible vowels, Mongolian vowel separator, zero-width space, word joiner
// and invisible operators, the blank Braille pattern, zero-width no-break space): also what
// JSON.stringify leaves raw (printableJson). Variation selectors and tag characters stay: emoji need
// them (❤️, the flag of Scotland).
const PAST_C0 =
  '\\u007f-\\u009f\\u00ad\\u061c\\u115f\\u1160\\u180e\\u200b\\u200e\\u200f\\u202a-\\u202e' +
  '\\u2060-\\u2064\\u2066-\\u2069\\u2800\\u3164\\ufeff\\uffa0';
// The invisible ones that are combining marks, apart: in a character class they would read as joined
// to the character before them.
const INVISIBLE_MARKS = '\\u034f|\\u17b4|\\u17b5';
const UNPRINTABLE = new RegExp(`[\\u0000-\\u001f${PAST_C0}]|${INVISIBLE_MARKS}`, 'g');

/** A character written as the escape a reader can look up: `\u{301}`. */
const spelled = (c: string) => `\\u{${c.codePointAt(0)!.toString(16)}}`;

/** One line of text as a terminal may show it: what a collection named is shown, never obeyed. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, spelled);
}

/**
 * Names as printable() shows them, for a list that shows them side by side (albums). Where two differ
 * only in Unicode normalisation, and so read the same — "Café" written with é (NFC, as most systems
 * write it) and with e + U+0301 (NFD, as older Macs stored folder names) — each one not in NFC has its
 * combining marks spelled out (`Cafe\u{301}`), or, if it still reads like another (Å as the Ångström
 * sign U+212B has no mark), every character past ASCII. The NFC one, and every name without such a
 * twin, is shown as printable() shows it: an NFD name alone reads as it should.
 */
export function printableDistinct(names: readonly string[]): Map<string, string> {
  const shown = new Map(names.map((n) => [n, printable(n)]));
  const byForm = new Map<string, string[]>();
  for (const n of shown.keys())
    byForm.set(n.normalize('NFC'), [...(byForm.get(n.normalize('NFC')) ?? []), n]);
  for (const twins of byForm.values()) {
    if (twins.length < 2) continue;
    const outside = twins.filter((n) => n !== n.normalize('NFC'));
    for (const n of outside) shown.set(n, printable(n).replace(/\p{M}/gu, spelled));
    const readsAs = (n: string) => shown.get(n)!.normalize('NFC');
    for (const n of outside)
      if (twins.some((t) => t !== n && readsAs(t) === readsAs(n)))
        shown.set(n, printable(n).replace(/[^\x20-\x7e]/gu, spelled));
  }
  return shown;
}

// JSON.stringify escapes C0 controls inside strings; its own line breaks (with `space`) must stay.
const LEFT_RAW_BY_JSON = new RegExp(`[${PAST_C0}]|${INVISIBLE_MARKS}`, 'g');

/**
 * JSON for a terminal: the same document, with the characters JSON.stringify leaves raw (DEL, C1
 * and the bidirectional controls) written as \u escapes, so a name in it cannot reorder the lines
 * around it on screen and parses back unchanged.
 */
export function printableJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(
    LEFT_RAW_BY_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** An error whose message is several lines, each printed as a line of its own (each made printable). */
export class MultiLineError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
    this.name = 'MultiLineError';
  }
}

/** An error (or anything thrown) as terminal lines: a MultiLineError line by line, anything else as one. */
export function printableError(prefix: string, err: unknown): string {
  if (err instanceof MultiLineError) {
    return err.lines.map((line, i) => printable(i === 0 ? `${prefix}${line}` : line)).join('\n');
  }
  return printable(`${prefix}${err instanceof Error ? err.message : String(err)}`);
}
