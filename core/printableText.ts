/**
 * C0 and C1 control characters, DEL, the bidirectional controls that reorder what follows them, and
 * characters that show as nothing: in a file name printed on a terminal they could clear the screen,
 * set its title, start a forged output line or make `photo‮gnp.exe` read backwards, and on a page
 * `Apple` with a zero-width space is another album that reads the same. The joiners (U+200C, U+200D)
 * stay: Persian words and emoji sequences need them.
 */
// DEL, C1, the bidirectional controls and the invisible ones (soft hyphen, Mongolian vowel separator,
// zero-width space, word joiner and invisible operators, zero-width no-break space): also what
// JSON.stringify leaves raw (printableJson).
const PAST_C0 =
  '\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b\\u200e\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff';
const UNPRINTABLE = new RegExp(`[\\u0000-\\u001f${PAST_C0}]`, 'g');

/** One line of text as a terminal may show it: what a collection named is shown, never obeyed. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

// JSON.stringify escapes C0 controls inside strings; its own line breaks (with `space`) must stay.
const LEFT_RAW_BY_JSON = new RegExp(`[${PAST_C0}]`, 'g');

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
