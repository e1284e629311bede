// Translation of ripgrep's regex syntax (Rust `regex` crate) into an equivalent JavaScript
// RegExp for the JS searcher. Covered: Unicode-aware \d \w \s \b \B (Rust's are Unicode,
// JavaScript's are ASCII), `.` matching \n only in multiline mode, ^ $ as line anchors there,
// leading inline flags (?i) (?s) (?m), (?P<name>…), \x{…} \U…, \pL and loose \p{greek}
// names, [[:alpha:]] POSIX classes and nested union classes, escaped punctuation such as
// \# \& \~, and ripgrep's refusals (look-around, backreferences, a newline outside
// multiline mode). Not covered, refused with a clear error: inline flags after the
// start or in groups (?i:…), (?x) (?U), class set operations (&& -- ~~), negated nested
// or POSIX classes and \W inside a class. Differences that remain: JavaScript matches on
// decoded text, so invalid UTF-8 bytes are U+FFFD there and not in Rust; and in multiline
// mode ripgrep restarts \A after each match (it then matches at every position), here not.
import { ToolUseError } from '../types.js';

export interface TranslatedRegex {
  /** JavaScript source, to be used with `flags`. */
  source: string;
  /** Always contains 'u'; 'i' for case-insensitive. */
  flags: string;
  /** Whether a match can span lines; ripgrep searches line by line otherwise. */
  canMatchNewline: boolean;
}

const WORD_CHARACTERS = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';
const WORD = `[${WORD_CHARACTERS}]`;
const WORD_BOUNDARY = `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`;
const NOT_WORD_BOUNDARY = `(?:(?<=${WORD})(?=${WORD})|(?<!${WORD})(?!${WORD}))`;
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ', upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};
/** Punctuation JavaScript-trained models escape needlessly; Rust's regex 1.5 refuses it. */
const NEEDLESS_ESCAPES = new Set(['/', '"', "'", ':', '@', '%', '=', '!', ',', ';', '`']);
const JS_SYNTAX_CHARACTERS = new Set(['\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$']);

function parseError(detail: string): ToolUseError {
  return new ToolUseError(`regex parse error: ${detail}`);
}

/** V8 says "Invalid regular expression: /source/flags: reason"; the reason is what helps. */
function javascriptError(error: unknown): ToolUseError {
  return parseError((error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, ''));
}

/**
 * Removes backslashes before punctuation that needs none (\/ \" \: …). Applied before
 * either searcher runs, so ripgrep 13 accepts what newer versions accept.
 */
export function normalizePattern(pattern: string): string {
  let result = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index];
    if (char === '\\' && index + 1 < pattern.length) {
      const next = pattern[index + 1];
      result += NEEDLESS_ESCAPES.has(next) ? next : char + next;
      index += 1;
    } else {
      result += char;
    }
  }
  return result;
}

function titleCase(name: string): string {
  return name
    .split(/[\s_-]+/)
    .filter((part) => part !== '')
    .map((part) => part[0].toUpperCase() + part.slice(1).toLowerCase())
    .join('_');
}

/** Maps Rust's loose property names (\p{greek}, \p{letter}) onto JavaScript's strict ones. */
function unicodeProperty(name: string, negated: boolean): string {
  const bare = name.startsWith('^') ? name.slice(1) : name;
  const isNegated = negated !== name.startsWith('^');
  const candidates = [bare, titleCase(bare), `Script=${titleCase(bare)}`, bare.toUpperCase()];
  for (const candidate of candidates) {
    try {
      new RegExp(`\\p{${candidate}}`, 'u');
      return `\\${isNegated ? 'P' : 'p'}{${candidate}}`;
    } catch {
      // try the next spelling
    }
  }
  throw parseError(`unrecognized Unicode class name '${name}'`);
}

class Translator {
  private index = 0;
  private dotMatchesNewline: boolean;
  canMatchNewline = false;

  constructor(
    private readonly pattern: string,
    private readonly multiline: boolean,
    private readonly flags: { caseInsensitive: boolean },
  ) {
    this.dotMatchesNewline = multiline;
  }

  /**
   * A newline outside multiline mode is refused as ripgrep refuses it; inside a class it
   * is dropped (a line never contains one), and only a class of nothing else is refused.
   */
  private newline(inClass: boolean): string {
    if (inClass && !this.multiline) return '';
    if (!this.multiline) {
      throw parseError(`the literal '"\\n"' is not allowed in a regex; set multiline: true to match across lines`);
    }
    this.canMatchNewline = true;
    return '\\n';
  }

  /** Applies `(?flags)` groups at the very start, the only place JavaScript can honour them. */
  readLeadingFlags(): void {
    for (let match = /^\(\?([a-zA-Z-]+)\)/.exec(this.pattern.slice(this.index)); match; match = /^\(\?([a-zA-Z-]+)\)/.exec(this.pattern.slice(this.index))) {
      let enable = true;
      for (const flag of match[1]) {
        if (flag === '-') enable = false;
        else if (flag === 'i') this.flags.caseInsensitive = enable;
        else if (flag === 's') this.dotMatchesNewline = enable && this.multiline;
        else if (flag !== 'm' && flag !== 'u') throw parseError(`flag '${flag}' is not supported by the JS searcher`);
      }
      this.index += match[0].length;
    }
  }

  translate(): string {
    let out = '';
    while (this.index < this.pattern.length) {
      const char = this.pattern[this.index];
      this.index += 1;
      if (char === '\\') out += this.noteNewline(this.escape(false));
      else if (char === '[') out += this.characterClass();
      else if (char === '(') out += this.group();
      else if (char === '.') {
        if (this.dotMatchesNewline) this.canMatchNewline = true;
        out += this.dotMatchesNewline ? '[^]' : '[^\\n]';
      } else if (char === '^') out += this.multiline ? '(?<=\\n|^)' : '^';
      else if (char === '$') out += this.multiline ? '(?=\\n|$)' : '$';
      else if (char === '{') out += this.repetition();
      else if (char === '}' || char === ']') out += `\\${char}`;
      else if (char === '\n') out += this.newline(false);
      else out += char;
    }
    return out;
  }

  /** Records whether an escape outside a class (\\s, \\D, \\p{…}) can match a newline. */
  private noteNewline(atom: string): string {
    if (this.multiline && new RegExp(`^(?:${atom})$`, 'u').test('\n')) this.canMatchNewline = true;
    return atom;
  }

  private repetition(): string {
    const match = /^(\d+)(,\d*)?\}/.exec(this.pattern.slice(this.index));
    if (!match) throw parseError('repetition quantifier expects a valid decimal');
    this.index += match[0].length;
    return `{${match[0]}`;
  }

  private group(): string {
    const rest = this.pattern.slice(this.index);
    if (!rest.startsWith('?')) return '(';
    if (/^\?(=|!|<=|<!)/.test(rest)) throw parseError('look-around, including look-ahead and look-behind, is not supported');
    const named = /^\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
    if (named) {
      this.index += named[0].length;
      return `(?<${named[1]}>`;
    }
    if (rest.startsWith('?:')) {
      this.index += 2;
      return '(?:';
    }
    const flagged = /^\?([a-zA-Z-]*)(:|\))/.exec(rest);
    if (flagged && /^[mu-]*$/.test(flagged[1])) {
      this.index += flagged[0].length;
      return flagged[2] === ':' ? '(?:' : '';
    }
    throw parseError('inline flags are only supported at the start of the pattern by the JS searcher');
  }

  /** Reads a code point written as {hex} or as exactly `width` hex digits. */
  private codePoint(width: number, inClass: boolean): string {
    const rest = this.pattern.slice(this.index);
    const match = /^\{([0-9A-Fa-f]{1,8})\}/.exec(rest) ?? new RegExp(`^[0-9A-Fa-f]{${width}}`).exec(rest);
    if (!match) throw parseError('invalid escape sequence: expected hexadecimal digits');
    this.index += match[0].length;
    const value = Number.parseInt(match[1] ?? match[0], 16);
    if (value > 0x10ffff) throw parseError('escape sequence is not a Unicode scalar value');
    return value === 0x0a ? this.newline(inClass) : `\\u{${value.toString(16)}}`;
  }

  private propertyEscape(negated: boolean): string {
    const rest = this.pattern.slice(this.index);
    const braced = /^\{([^}]*)\}/.exec(rest);
    if (braced) {
      this.index += braced[0].length;
      return unicodeProperty(braced[1].replace(/\s+/g, ''), negated);
    }
    if (rest === '') throw parseError('incomplete Unicode class escape');
    this.index += 1;
    return unicodeProperty(rest[0], negated);
  }

  /** Translates the escape after a backslash; `inClass` for escapes inside [...]. */
  private escape(inClass: boolean): string {
    const char = this.pattern[this.index];
    if (char === undefined) throw parseError('incomplete escape sequence, reached end of pattern prematurely');
    this.index += 1;
    switch (char) {
      case 'd': return '\\p{Nd}';
      case 'D': return '\\P{Nd}';
      case 's': return '\\p{White_Space}';
      case 'S': return '\\P{White_Space}';
      case 'w': return inClass ? WORD_CHARACTERS : WORD;
      case 'W':
        if (inClass) throw parseError('\\W inside a character class is not supported by the JS searcher');
        return `[^${WORD_CHARACTERS}]`;
      case 'b':
      case 'B':
      case 'A':
      case 'z':
        if (inClass) throw parseError('unrecognized escape sequence');
        // Without the m flag JavaScript's ^ and $ are the ends of the text, like \A and \z.
        return char === 'b' ? WORD_BOUNDARY : char === 'B' ? NOT_WORD_BOUNDARY : char === 'A' ? '^' : '$';
      case 'n': return this.newline(inClass);
      case 't': case 'r': case 'f': case 'v': return `\\${char}`;
      case 'a': return '\\x07';
      case 'x': return this.codePoint(2, inClass);
      case 'u': return this.codePoint(4, inClass);
      case 'U': return this.codePoint(8, inClass);
      case 'p': return this.propertyEscape(false);
      case 'P': return this.propertyEscape(true);
      case '#': case '&': case '~': return char;
      case '-': return inClass ? '\\-' : '-';
      default:
        if (/[0-9]/.test(char)) throw parseError('backreferences are not supported');
        if (JS_SYNTAX_CHARACTERS.has(char)) return `\\${char}`;
        throw parseError('unrecognized escape sequence');
    }
  }

  /** Translates a class after its `[`, flattening nested union classes. */
  private characterClass(nested = false): string {
    let negated = false;
    if (this.pattern[this.index] === '^') {
      negated = true;
      this.index += 1;
    }
    if (negated && nested) throw parseError('negated nested classes are not supported by the JS searcher');
    let body = '';
    if (this.pattern[this.index] === ']') {
      body += '\\]';
      this.index += 1;
    }
    for (;;) {
      const char = this.pattern[this.index];
      if (char === undefined) throw parseError('unclosed character class');
      this.index += 1;
      if (char === ']') break;
      const pair = char + (this.pattern[this.index] ?? '');
      if (pair === '&&' || pair === '--' || pair === '~~') throw parseError('class set operations are not supported by the JS searcher');
      if (char === '\\') body += this.escape(true);
      else if (char === '[') body += this.posixOrNested();
      else if (char === '\n') body += this.newline(true);
      else body += char;
    }
    if (nested) return body;
    if (body === '' && !negated) this.newline(false);
    const source = `[${negated ? '^' : ''}${body}]`;
    try {
      if (new RegExp(source, this.flags.caseInsensitive ? 'iu' : 'u').test('\n')) this.canMatchNewline = true;
    } catch (error) {
      throw javascriptError(error);
    }
    return source;
  }

  private posixOrNested(): string {
    const posix = /^:(\^?)([a-z]+):\]/.exec(this.pattern.slice(this.index));
    if (!posix) return this.characterClass(true);
    const expansion = Object.hasOwn(POSIX_CLASSES, posix[2]) ? POSIX_CLASSES[posix[2]] : undefined;
    if (expansion === undefined) throw parseError(`unrecognized POSIX class '${posix[2]}'`);
    if (posix[1] === '^') throw parseError('negated POSIX classes are not supported by the JS searcher');
    this.index += posix[0].length;
    return expansion;
  }
}

/** Translates `pattern` (already passed through normalizePattern) or throws ToolUseError. */
export function translateRustRegex(pattern: string, options: { caseInsensitive: boolean; multiline: boolean }): TranslatedRegex {
  const flags = { caseInsensitive: options.caseInsensitive };
  const translator = new Translator(pattern, options.multiline, flags);
  translator.readLeadingFlags();
  const source = translator.translate();
  const jsFlags = flags.caseInsensitive ? 'iu' : 'u';
  try {
    new RegExp(source, jsFlags);
  } catch (error) {
    throw javascriptError(error);
  }
  return { source, flags: jsFlags, canMatchNewline: translator.canMatchNewline };
}
