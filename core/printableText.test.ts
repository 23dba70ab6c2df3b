import { describe, expect, it } from 'vitest';
import { MultiLineError, printable, printableDistinct, printableError, printableJson } from './printableText';

describe('printable', () => {
  it('spells out controls, DEL and bidirectional controls, and keeps other text', () => {
    expect(printable('a\nb')).toBe('a\\u{a}b');
    expect(printable('\u001b]0;pwned\u0007x.png')).toBe('\\u{1b}]0;pwned\\u{7}x.png');
    expect(printable('rtl\u202egnp.exe.png')).toBe('rtl\\u{202e}gnp.exe.png');
    expect(printable('\u007f\u0085\u2066')).toBe('\\u{7f}\\u{85}\\u{2066}');
    expect(printable('café 🐩 <script> "q" ü')).toBe('café 🐩 <script> "q" ü');
  });

  it('spells out characters that show as nothing, so two names that read the same are not the same', () => {
    expect(printable('Apple\u200b')).toBe('Apple\\u{200b}');
    expect(printable('\ufeffApp\u00adle\u2060')).toBe('\\u{feff}App\\u{ad}le\\u{2060}');
    // Fillers and blanks that draw nothing (audit, December 2026).
    expect(printable('A\u3164pple\u2800\u034f\uffa0\u115f\u1160\u17b4')).toBe(
      'A\\u{3164}pple\\u{2800}\\u{34f}\\u{ffa0}\\u{115f}\\u{1160}\\u{17b4}',
    );
    // Variation selectors and tags belong to emoji: a red heart and the flag of Scotland stay whole.
    const scotland = '\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}';
    expect(printable(`\u2764\ufe0f ${scotland}`)).toBe(`\u2764\ufe0f ${scotland}`);
    // Joiners are part of words and emoji: a family emoji and a Persian word stay as they are.
    expect(printable('👨\u200d👩\u200d👧 می\u200cخواهم')).toBe('👨\u200d👩\u200d👧 می\u200cخواهم');
  });
});

describe('printableDistinct', () => {
  it('tells apart names that differ only in Unicode normalisation, and leaves every other name as printable shows it', () => {
    const nfc = 'Caf\u00e9';
    const nfd = 'Cafe\u0301';
    const alone = 'Re\u0301sume\u0301'; // NFD, with no twin: reads as it should
    const shown = printableDistinct([nfc, nfd, alone, 'Apple', 'Apple\u200b']);
    expect(shown.get(nfc)).toBe(nfc);
    expect(shown.get(nfd)).toBe('Cafe\\u{301}');
    expect(shown.get(alone)).toBe(alone);
    expect(shown.get('Apple\u200b')).toBe('Apple\\u{200b}');
    expect(new Set(shown.values()).size).toBe(5);
  });

  it('spells out every character past ASCII where spelling the marks is not enough', () => {
    // Å as one letter (NFC), as the Ångström sign U+212B (no mark; NFC makes it U+00C5) and as A + ring.
    const nfc = '\u00c5ngstr\u00f6m';
    const sign = '\u212bngstr\u00f6m';
    const marked = 'A\u030angstr\u00f6m';
    const shown = printableDistinct([nfc, sign, marked]);
    expect(shown.get(nfc)).toBe(nfc);
    expect(shown.get(sign)).toBe('\\u{212b}ngstr\\u{f6}m');
    expect(shown.get(marked)).toBe('A\\u{30a}ngstr\u00f6m');
  });
});

describe('printableError', () => {
  it('prints a MultiLineError line by line, and a newline inside a line (a file name) spelled out', () => {
    const err = new MultiLineError(['2 jobs failed', '  its images: a\nforged.png']);
    expect(err.message).toBe('2 jobs failed\n  its images: a\nforged.png');
    expect(printableError('build-index: ', err)).toBe(
      'build-index: 2 jobs failed\n  its images: a\\u{a}forged.png',
    );
    expect(printableError('x: ', new Error('a\nb'))).toBe('x: a\\u{a}b');
  });
});

describe('printableJson', () => {
  it('escapes what JSON.stringify leaves raw, and parses back to the same value', () => {
    const value = { name: 'photo\u202egnp.exe.jpg', album: 'a\u2066b\u007f\u0085', n: [1, 'x\ny'] };
    const text = printableJson(value, 2);
    expect(text).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(text).toContain('photo\\u202egnp.exe.jpg');
    expect(JSON.parse(text)).toEqual(value);
    expect(printableJson({ a: 'café 🐩' })).toBe(JSON.stringify({ a: 'café 🐩' }));
  });
});
