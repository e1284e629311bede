// The read-only allow-list used when bubblewrap is not usable: what it lets through and what
// it refuses, with the reason.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkReadOnlyCommand, lastCommandName, refusalMessage } from '../../src/tools/bash-policy.js';
import { awkProgramProblem, sedScriptProblem } from '../../src/tools/sandbox-scripts.js';

const context = { cwd: '/home/user/project', roots: ['/home/user/project'], home: '/home/user' };

function reason(command: string): string | undefined {
  const verdict = checkReadOnlyCommand(command, context);
  return verdict.allowed ? undefined : verdict.reason;
}

describe('allowed', () => {
  const commands = [
    'ls -la',
    'pwd',
    'cat README.md',
    'head -n 50 src/main.ts',
    'tail -20 log.txt',
    'wc -l src/*.ts',
    'cat a | sort | uniq -c | sort -rn | head',
    'cut -d: -f1 /etc/passwd | tr a-z A-Z',
    'file package.json && stat package.json && du -sh .',
    'echo "done"; printf "%s\\n" a b',
    'tree -L 2 src',
    'basename /a/b.ts; dirname /a/b.ts; realpath .',
    'grep -rn "createTool" src --include="*.ts"',
    'egrep -l "a|b" *.md; fgrep -c x f',
    'rg -n "fn main" -g "*.rs"',
    'find . -name "*.ts" -not -path "./node_modules/*" | head -20',
    'find . -type f -newer package.json -print0 | xargs -0 wc -l',
    "sed -n '1,40p' src/index.ts",
    "sed -e 's/foo/bar/g' -e '/^#/d' config.txt",
    "sed -n '/start/,/end/{p;}' f",
    "sed -E 's|a/b|c|g; y/abc/xyz/' f",
    "awk '{print $1}' f",
    "awk -F: '$3 > 1000 {print $1}' /etc/passwd",
    "awk 'NR % 2 == 0 || /x|y/ { n++ } END { print n }' f",
    'git log --oneline -n 20',
    'git show HEAD~1 --stat',
    'git diff main...HEAD -- src',
    'git status --short',
    'git blame -L 10,20 src/a.ts',
    'git grep -n "TODO"',
    'git ls-files | wc -l',
    'git -C sub log -1 --format=%H',
    'git rev-parse --show-toplevel && git describe --tags',
    'git shortlog -sn && git cat-file -p HEAD',
    'git branch -a',
    'git branch --list "feature/*" -v',
    'git tag -l "v1.*" --sort=-creatordate',
    'git tag -n5',
    'cd src && ls',
    'true && false || echo fallback',
    'test -f package.json && echo yes',
    '[ -d src ] && ls src',
    '[[ -n "$x" ]] && echo set',
    'if [ -f a ]; then cat a; elif [ -f b ]; then cat b; else echo none; fi',
    'for f in src/*.ts; do echo "$f"; wc -l "$f"; done',
    'while read -r line; do echo "$line"; done < list.txt',
    'find . -type f | while IFS= read -r f; do echo "$f"; done',
    'case "$1" in a) echo a;; *) echo other;; esac',
    '(cd src; ls) && { ls; pwd; }',
    'ls missing 2>/dev/null || echo none',
    'grep x f 2>&1 | head',
    'cat a &> /dev/null',
    'cat < input.txt',
    'grep -c x <<< "text x"',
    'cat <<EOF\nplain text\nEOF',
    "cat <<A; cat <<'B'\none\nA\n$(two)\nB\necho end",
    'echo "$(git rev-parse HEAD)"',
    'echo $(ls | wc -l) files',
    'diff <(sort a) <(sort b)',
    'x=1; echo $x',
    'LC_ALL=C sort file',
    'env LC_ALL=C grep -r x .',
    'timeout 10 grep -r x .',
    'nice -n 5 cat f',
    'time ls',
    '! grep -q x f',
    'seq 1 10 | head -3',
    'ls ~/project',
    'echo $((1 + 2)) ${a[0]} ${x:1:2} ${#x} ${x@Q} "${arr[@]}"',
    '[ -f $f ] && [ "$n" -gt 3 ] && [[ 2 -lt 3 ]] && [[ -v name ]]',
  ];
  for (const command of commands) {
    test(command, () => assert.equal(reason(command), undefined));
  }
});

describe('refused', () => {
  const cases: [string, RegExp][] = [
    ['rm -rf .', /"rm" is not on the read-only allow-list/],
    ['touch new', /"touch" is not/],
    ['mkdir d', /"mkdir" is not/],
    ['cp a b', /"cp" is not/],
    ['curl https://example.com', /"curl" is not/],
    ['wget x', /"wget" is not/],
    ['python3 -c "print(1)"', /"python3" is not/],
    ['bash -c ls', /"bash" is not/],
    ['sh -c "rm x"', /"sh" is not/],
    ['eval "ls"', /"eval" is not/],
    ['source x.sh', /"source" is not/],
    ['. ./x.sh', /"\." is not/],
    ['exec 3<>/dev/tcp/127.0.0.1/80', /redirection <> opens a file/],
    ['echo x > file', /output redirection to file writes a file/],
    ['echo x >> file', /output redirection to file/],
    ['ls >| file', /output redirection/],
    ['ls &> out.txt', /output redirection/],
    ['ls 2> err.txt', /output redirection/],
    ['ls >& out.txt', /redirection >&out.txt writes a file/],
    ['ls {fd}> /dev/null', /\{variable\} redirections/],
    ['echo x | tee file', /"tee" is not/],
    ["sed -i 's/a/b/' f", /sed -i/],
    ["sed -ni 's/a/b/p' f", /sed -i/],
    ["sed --in-place 's/a/b/' f", /sed --in-place/],
    ["sed --in=.bak 's/a/b/' f", /sed --in-place/],
    ['sed -f script.sed f', /sed -f/],
    ["sed 's/a/b/w out' f", /`w` flag writes/],
    ["sed 's/a/b/e' f", /`e` flag runs/],
    ["sed -n 'p; w out' f", /`w` command writes/],
    ["sed '1e ls' f", /`e` command runs/],
    ["sed 's/a/b/ w out' f", /`w` command writes/],
    ['sed "$script" f', /could expand to an option|written literally/],
    ['sed -n p $file', /\$file could expand to an option of sed/],
    ['sed -n p *.txt', /could expand to an option of sed/],
    ["awk 'BEGIN { system(\"rm x\") }'", /system\(\) runs commands/],
    ["awk '{ print > \"out\" }' f", /output redirection/],
    ["awk '{ printf(\"%s\", $1) >> \"out\" }' f", /output redirection/],
    ["awk '{ print | \"sh\" }' f", /pipes/],
    ["awk 'BEGIN { \"date\" | getline d }'", /pipes/],
    ["awk 'BEGIN { x++ / 2; system(\"x\") / 1 }'", /system/],
    ["awk '@load \"filefuncs\"'", /@-directives/],
    ['awk -f prog.awk f', /awk option -f/],
    ['awk "$prog" f', /could expand to an option of awk|written literally/],
    ['find . -delete', /find -delete/],
    ['find . -name x -exec rm {} \\;', /find -exec/],
    ['find . -execdir ls \\;', /find -execdir/],
    ['find . -ok rm {} \\;', /find -ok/],
    ['find . -fprint out', /find -fprint/],
    ['find . -fls out', /find -fls/],
    ['find $dir -name x', /could expand to an option of find/],
    ['git init', /git init is not read-only/],
    ['git commit -m x', /git commit is not read-only/],
    ['git add .', /git add is not read-only/],
    ['git checkout -- .', /git checkout is not read-only/],
    ['git reset --hard', /git reset is not read-only/],
    ['git push', /git push/],
    ['git -c core.pager=rm log', /git option -c/],
    ['git --exec-path=/tmp log', /git option --exec-path/],
    ['git diff --output=x', /--output/],
    ['git log --out x', /--output/],
    ['git diff --ext-diff', /--ext-diff/],
    ['git grep -O vim x', /-O/],
    ['git branch new-feature', /would create a branch/],
    ['git branch -D old', /git branch -D is not a listing option/],
    ['git branch -m a b', /-m is not a listing option/],
    ['git tag v1.0', /would create a tag/],
    ['git tag -d v1.0', /-d is not a listing option/],
    ['sort -o out f', /sort -o/],
    ['sort -ro out f', /sort -o/],
    ['sort --output=out f', /sort --output/],
    ['sort --compress-program=sh f', /--compress-program/],
    ['uniq in out', /uniq with a second file name/],
    ['tree -o out.txt', /tree -o/],
    ['file -C -m magic', /file -C/],
    ['rg --pre ./script x', /rg --pre/],
    ['rg --pre=sh x', /rg --pre/],
    ['printf -v PATH "%s" /tmp', /printf -v/],
    ['xargs rm < list', /xargs may only run/],
    ['find . | xargs sed -i s/a/b/', /xargs may only run/],
    ['xargs -I{} sh -c "rm {}"', /xargs may only run/],
    ['env -S "rm x"', /env option -S/],
    ['env rm x', /"rm" is not/],
    ['env PATH=. ls', /env may not set PATH/],
    ['timeout 5 rm x', /"rm" is not/],
    ['nice rm x', /"rm" is not/],
    ['echo $(rm -rf .)', /"rm" is not/],
    ['echo `touch x`', /"touch" is not/],
    ['cat <(curl x)', /"curl" is not/],
    ['cat <<EOF\n$(rm x)\nEOF', /"rm" is not/],
    ['echo "${x:=$(rm y)}"', /assigns a variable|"rm" is not/],
    ['echo ${x:=1}', /assigns a variable/],
    ['echo $((x=1))', /assignments inside/],
    ['echo $((i++))', /assignments inside/],
    ['$cmd x', /command name \$cmd is an expansion/],
    ['"$(echo rm)" x', /is an expansion/],
    ['/bin/rm x', /by path/],
    ['./script.sh', /by path/],
    ['f() { ls; }; f', /function definitions/],
    ['function f { ls; }', /function definitions/],
    ['ls &', /background jobs/],
    ['coproc ls', /Coproc commands are not allowed/],
    ['((x = 1))', /ArithmeticCommand commands are not allowed/],
    ['PATH=/tmp ls', /setting PATH for a command/],
    ['GIT_EXTERNAL_DIFF=rm git diff', /setting GIT_EXTERNAL_DIFF/],
    ['LD_PRELOAD=x.so cat f', /setting LD_PRELOAD/],
    ['PATH=.; ls', /assigning PATH/],
    ['IFS=/ ; ls', /assigning IFS/],
    ['for PATH in .; do ls; done', /assigning PATH/],
    ['read PATH < f', /assigning PATH/],
    ['export X=1', /"export" is not/],
    ['alias ls=rm', /"alias" is not/],
    // Bash evaluates these values as arithmetic, and a subscript inside runs $(...).
    ["x='a[$(rm -rf .)]'; echo $((x))", /variables inside arithmetic/],
    ['echo $(( $(cat f) + 1 ))', /command substitution inside arithmetic/],
    ['echo $[x+1]', /variables inside arithmetic/],
    ['[[ $x -eq 1 ]]', /numeric comparisons/],
    ['[[ -v $x ]]', /-v/],
    ['[ -v "$x" ]', /test -v/],
    ['test -v x', /test -v/],
    ['[ $x ]', /quote \$x/],
    ['[ -f a -a $x ]', /quote \$x/],
    ['echo ${!x}', /indirect expansion/],
    ['echo ${a[i]}', /array subscripts/],
    ['a[i]=1', /array subscripts/],
    ['echo ${x:$n}', /substring offsets/],
    ['echo ${x@P}', /prompt string/],
    ["read 'a[$(rm x)]' < f", /plain variable names/],
    ['cat < /dev/tcp/127.0.0.1/80', /network/],
    ['cat < $target', /network|input redirection/],
    ['cat /home/user/.ssh/id_rsa', /outside the allowed directories/],
    ['cat ../.aws/credentials', /outside the allowed directories/],
    ['grep -r --include=x token /home/user/.config', /outside the allowed directories/],
    ['ls (', /could not be parsed/],
    ['if true; then', /could not be parsed/],
    ['ls ) rm x', /could not be parsed/],
    ['echo `ls (`', /could not be parsed/],
  ];
  for (const [command, expected] of cases) {
    test(command, () => {
      const why = reason(command);
      assert.notEqual(why, undefined, `${command} was allowed`);
      assert.match(why ?? '', expected);
    });
  }
});

test('refusalMessage names the reason and the tools to use instead', () => {
  const message = refusalMessage('"rm" is not on the read-only allow-list');
  assert.match(message, /^Command refused: "rm" is not on the read-only allow-list\./);
  assert.match(message, /Read tool/);
  assert.match(message, /Grep/);
  assert.match(message, /Glob/);
});

test('the home check is skipped without a context', () => {
  assert.deepEqual(checkReadOnlyCommand('cat /home/user/.ssh/id_rsa'), { allowed: true });
});

test('lastCommandName finds the command whose status the whole line returns', () => {
  assert.equal(lastCommandName('grep x f'), 'grep');
  assert.equal(lastCommandName('cat f | grep x'), 'grep');
  assert.equal(lastCommandName('grep x f | wc -l'), 'wc');
  assert.equal(lastCommandName('cd src && find . -name x'), 'find');
  assert.equal(lastCommandName('ls; /usr/bin/diff a b'), 'diff');
  assert.equal(lastCommandName('[[ -f x ]]'), '[[');
  assert.equal(lastCommandName('[ -f x ]'), '[');
  assert.equal(lastCommandName('grep x f > /dev/null'), 'grep');
  assert.equal(lastCommandName('if true; then grep x f; fi'), undefined);
  assert.equal(lastCommandName(''), undefined);
});

test('sed scripts', () => {
  assert.equal(sedScriptProblem('1,10p'), undefined);
  assert.equal(sedScriptProblem('s/[/]/x/g'), undefined);
  assert.equal(sedScriptProblem('\\,a,d'), undefined);
  assert.equal(sedScriptProblem(':a\nN\n$!ba\ns/\\n/ /g'), undefined);
  assert.equal(sedScriptProblem('/x/a\\\nappended w text'), undefined);
  assert.equal(sedScriptProblem('r other.txt'), undefined);
  assert.match(sedScriptProblem('s/a/b/gw out') ?? '', /w/);
  assert.match(sedScriptProblem('/x/W out') ?? '', /W/);
  assert.match(sedScriptProblem('s/a/b/;e') ?? '', /e/);
  assert.match(sedScriptProblem('k') ?? '', /unknown sed command/);
});

test('awk programs', () => {
  assert.equal(awkProgramProblem('{ print $1 > 2 ? "a" : "b" }') !== undefined, true); // > in print is a redirection
  assert.equal(awkProgramProblem('{ print ($1 > 2) }'), undefined);
  assert.equal(awkProgramProblem('$1 > 2 { print }'), undefined);
  assert.equal(awkProgramProblem('{ s = "system(x) | y > z"; print s }'), undefined);
  assert.equal(awkProgramProblem('/a|b/ { n++ } END { print n / 2 }'), undefined);
  assert.match(awkProgramProblem('{ getline line < "/inet/tcp/0/h/80" }') ?? '', /inet/);
});
