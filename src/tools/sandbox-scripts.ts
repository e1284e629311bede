// Reads the small programs given to sed and awk just far enough to find what writes files or
// runs commands (sed `w`/`W`/`e`, `s///w`/`s///e`; awk `system()`, pipes, output
// redirection). Used by the allow-list sandbox only. Anything the readers do not understand is
// refused: a wrong guess must fail closed.

/**
 * Why a sed script is refused, or undefined when it only reads. The files its `r` and `R`
 * commands read are added to `readFiles`, for the caller's path checks.
 */
export function sedScriptProblem(script: string, readFiles: string[] = []): string | undefined {
  let index = 0;
  const at = () => script[index];
  const skip = (pattern: RegExp) => {
    while (index < script.length && pattern.test(script[index])) index++;
  };
  const skipToLineEnd = () => {
    while (index < script.length && script[index] !== '\n') index++;
  };
  /** Skips a delimited part (regex or replacement), honouring escapes and, in a regex, brackets. */
  const skipDelimited = (delimiter: string, isRegex: boolean): boolean => {
    while (index < script.length) {
      const char = script[index++];
      if (char === '\\') index++;
      else if (char === delimiter) return true;
      else if (char === '\n' && !isRegex) continue;
      else if (isRegex && char === '[') {
        // GNU sed: a delimiter inside a bracket expression does not end the regex.
        if (script[index] === '^') index++;
        if (script[index] === ']') index++;
        while (index < script.length && script[index] !== ']') {
          if (script[index] === '[' && ':.='.includes(script[index + 1] ?? '')) {
            const close = script.indexOf(`${script[index + 1]}]`, index + 2);
            if (close === -1) return false;
            index = close + 2;
          } else index++;
        }
        index++;
      }
    }
    return false;
  };
  const skipAddress = (): boolean => {
    const char = at();
    if (char === '/') {
      index++;
      if (!skipDelimited('/', true)) return false;
      skip(/[IM]/);
    } else if (char === '\\') {
      const delimiter = script[index + 1];
      index += 2;
      if (delimiter === undefined || !skipDelimited(delimiter, true)) return false;
      skip(/[IM]/);
    } else if (char === '$') index++;
    else if (char !== undefined && /[0-9+~]/.test(char)) skip(/[0-9+~]/);
    return true;
  };

  for (;;) {
    skip(/[\s;]/);
    if (index >= script.length) return undefined;
    if (at() === '#') {
      skipToLineEnd();
      continue;
    }
    if (!skipAddress()) return 'the sed script could not be read';
    skip(/[ \t]/);
    if (at() === ',') {
      index++;
      skip(/[ \t]/);
      if (!skipAddress()) return 'the sed script could not be read';
    }
    skip(/[ \t!]/);
    const command = script[index++];
    if (command === undefined) return 'the sed script ends after an address';
    if ('{}=dDgGhHnNpPxzF'.includes(command)) continue;
    if ('lLqQ'.includes(command)) skip(/[ \t0-9]/);
    else if (':btTv'.includes(command)) {
      while (index < script.length && !';\n'.includes(script[index])) index++;
    } else if ('aicrR'.includes(command)) {
      // Text (a, i, c) or a file to read (r, R) runs to the end of the line, with `\` continuations.
      const start = index;
      while (index < script.length && script[index] !== '\n') index += script[index] === '\\' ? 2 : 1;
      if (command === 'r' || command === 'R') readFiles.push(script.slice(start, index).replace(/^[ \t]+/, ''));
    } else if (command === 's') {
      const delimiter = script[index++];
      if (delimiter === undefined || delimiter === '\n' || delimiter === '\\') return 'the sed script could not be read';
      if (!skipDelimited(delimiter, true) || !skipDelimited(delimiter, false)) return 'the sed script could not be read';
      while (index < script.length && !';\n}'.includes(script[index]) && !/\s/.test(script[index])) {
        const flag = script[index++];
        if (flag === 'w') return 'the sed `w` flag writes a file';
        if (flag === 'e') return 'the sed `e` flag runs a command';
        if (!/[gpiImM0-9]/.test(flag)) return `unknown sed flag "${flag}"`;
      }
    } else if (command === 'y') {
      const delimiter = script[index++];
      if (delimiter === undefined || !skipDelimited(delimiter, false) || !skipDelimited(delimiter, false)) {
        return 'the sed script could not be read';
      }
    } else if (command === 'w' || command === 'W') return `the sed \`${command}\` command writes a file`;
    else if (command === 'e') return 'the sed `e` command runs a command';
    else return `unknown sed command "${command}"`;
  }
}

/** Why an awk program is refused, or undefined when it only reads and prints to stdout. */
export function awkProgramProblem(program: string): string | undefined {
  // gawk special files open network connections, even for reading.
  if (program.includes('/inet')) return 'gawk /inet network files are not allowed';
  let index = 0;
  let previous = ''; // last significant character, to tell a regex from a division
  let inPrint = false; // inside a print/printf statement, where `>` is a redirection
  let depth = 0; // parentheses and brackets opened inside that statement
  let inGetline = false; // after `getline` in this statement, where `<` names a file
  while (index < program.length) {
    const char = program[index];
    if (char === '"') {
      index = skipQuoted(program, index + 1, '"');
      previous = '"';
      continue;
    }
    if (char === '#') {
      while (index < program.length && program[index] !== '\n') index++;
      continue;
    }
    if (char === '/' && !/[A-Za-z0-9_)\]$."]/.test(previous)) {
      index = skipQuoted(program, index + 1, '/');
      previous = ')'; // a regex is an operand: a following `/` divides
      continue;
    }
    if ((char === '+' || char === '-') && program[index + 1] === char) {
      // `x++ / 2` divides: after ++ or -- a `/` must not be taken for the start of a regex,
      // which would hide the rest of the program from this check.
      index += 2;
      previous = ')';
      continue;
    }
    if (/[A-Za-z_]/.test(char)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(program.slice(index))?.[0] ?? char;
      if (word === 'system') return 'awk system() runs commands';
      // `getline < file` and files added to ARGV are read without the path checks.
      if (word === 'getline') inGetline = true;
      if (word === 'ARGV' || word === 'ARGC') return 'awk ARGV and ARGC are not allowed (they name the files awk reads)';
      if (word === 'print' || word === 'printf') {
        inPrint = true;
        depth = 0;
      }
      index += word.length;
      previous = 'a';
      continue;
    }
    if (char === '@') return 'gawk @-directives and indirect calls are not allowed';
    if (char === '|') {
      if (program[index + 1] === '|') {
        index += 2;
        previous = '|';
        continue;
      }
      return 'awk pipes (`|`) run commands';
    }
    if (char === '(' || char === '[') depth++;
    if (char === ')' || char === ']') depth--;
    if (inPrint && depth <= 0 && char === '>') return 'awk output redirection (`>`) writes files';
    if (inGetline && char === '<') return 'awk `getline < file` reads a file the sandbox cannot check; pass files as operands';
    if (char === ';' || char === '\n' || char === '}' || char === '{') inPrint = inGetline = false;
    if (!/\s/.test(char)) previous = char;
    index++;
  }
  return undefined;
}

/** Index just past the closing `quote`, skipping backslash escapes. */
function skipQuoted(text: string, start: number, quote: string): number {
  let index = start;
  while (index < text.length && text[index] !== quote) {
    if (text[index] === '\\') index++;
    index++;
  }
  return index + 1;
}
