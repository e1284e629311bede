// The allow-list policy's path principle on a real tree: every file a command may open is
// resolved after tilde, glob, variable and `cd` expansion, with symlinks followed, and must lie
// inside the allowed roots or a short list of system files. Attacks from issue 9 and variants.
import assert from 'node:assert/strict';
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkReadOnlyCommand } from '../../src/tools/bash-policy.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

let tree: TempTree;
let reason: (command: string) => string | undefined;

before(async () => {
  tree = await makeTempTree({ 'src/a.ts': 'export const a = 1;\n', 'notes.md': 'notes\n', 'sub/deep/x.txt': 'x\n' });
  // A hostile repository may commit symlinks that point out of it.
  await symlink('/proc/self/environ', path.join(tree.root, 'env-link'));
  await symlink('/proc/self', path.join(tree.root, 'self-link'));
  await symlink('/etc', path.join(tree.root, 'src', 'etc-link'));
  await symlink('/', path.join(tree.root, 'sub', 'slash'));
  const context = { cwd: tree.root, roots: [tree.root], home: '/tmp' };
  reason = (command) => {
    const verdict = checkReadOnlyCommand(command, context);
    return verdict.allowed ? undefined : verdict.reason;
  };
});
after(() => tree.cleanup());

describe('refused: paths outside the roots after expansion', () => {
  const outside = /outside the allowed directories/;
  const unknown = /not known before running/;
  const cases: [string, RegExp][] = [
    // Parent secrets (issue 9, item 2).
    ['cat /proc/$PPID/environ', unknown],
    ['cat /proc/self/environ', outside],
    ['cat /proc/*/environ', outside],
    ['cat /proc/[0-9]*/environ', outside],
    ['head -c 4000 /proc/1/environ', outside],
    ['cat /proc/$$/environ', unknown],
    ['cat "/proc/${PPID}/environ"', unknown],
    ['cat /sys/class/net/lo/address', outside],
    ['cat < /proc/self/environ', outside],
    ['while read -r l; do echo "$l"; done < /proc/self/environ', outside],
    ['grep -r KEY /proc/self', outside],
    ['grep -a . /proc/self/environ', outside],
    ['grep -f /proc/self/environ notes.md', outside],
    ['grep --file=/proc/self/environ notes.md', outside],
    ['grep -f/proc/self/environ notes.md', outside],
    ['sort /proc/self/environ', outside],
    ['tail -n +1 /proc/self/environ', outside],
    ['wc -c /proc/self/environ', outside],
    ['diff /proc/self/environ /dev/null', outside],
    ['git diff --no-index /proc/self/environ /dev/null', outside],
    ['git -C /proc/self log', outside],
    ["sed 'r /proc/self/environ' notes.md", outside],
    ["sed -n -e '1r /proc/self/environ' notes.md", outside],
    ["awk '{ while ((getline l < \"/proc/self/environ\") > 0) print l }' notes.md", /getline < file/],
    ["awk 'BEGIN { ARGV[1] = \"/proc/self/environ\"; ARGC = 2 } { print }'", /ARGV/],
    ['echo /proc/self/environ | xargs cat', /xargs may only run/],
    ['find . | xargs grep KEY', /xargs may only run/],
    ['cat $(echo /proc/self/environ)', unknown],
    ['cat `printf /proc/self/environ`', unknown],
    // Variables the policy follows.
    ['x=/proc/self/environ; cat "$x"', outside],
    ['x=/proc; cat $x/self/environ', outside],
    ['x=/pr; y=oc; cat "$x$y/self/environ"', outside],
    ['for f in /proc/self/environ; do cat "$f"; done', outside],
    ['for f in /proc/*/environ; do cat "$f"; done', outside],
    ['if true; then x=/proc/self/environ; fi; cat "$x"', unknown],
    ['x=notes.md; (x=/proc/self/environ); cat "$x"', outside],
    ['x=notes.md; true && x=/proc/self/environ; cat "$x"', outside],
    ['x=notes.md; for i in 1 2; do cat "$x"; x=/proc/self/environ; done', outside],
    ['x=a; cat ${x:-/proc/self/environ}', unknown],
    ['x=/proc/self/environ; cat ${x%%x}', unknown],
    ['read -r f < notes.md; cat "$f"', unknown],
    ['cat "$1"', unknown],
    ['cat $HOME/.bash_history', outside],
    ['cat "$OLDPWD/x"', unknown],
    // Other homes (issue 9, item 3).
    ['cat ~root/.bashrc', outside],
    ['cat ~root/.ssh/id_rsa', outside],
    ['cat ~nobody/x', outside],
    ['cat ~no-such-user-here/x', unknown],
    ['cat ~+/../x', unknown],
    ['x=~root/.ssh; ls "$x"', outside],
    ['cat /r[o]ot/.bashrc', outside],
    ['cat /ro?t/.bashrc', outside],
    ['cat /ro*/.bashrc', outside],
    ['cat /*/.ssh/id_rsa', outside],
    ['cat /home/*/.ssh/id_rsa', outside],
    ['ls /root', outside],
    ['cat ~/.bash_history', outside],
    ['ls ~', outside],
    // cd moves where relative paths resolve.
    ['cd ~root && cat .bashrc', outside],
    ['cd / && cat proc/1/environ', outside],
    ['cd /proc && cat self/environ', outside],
    ['cd /proc/self; cat environ', outside],
    ['cd ..; cat x', outside],
    ['cd sub && cd ../.. && ls', outside],
    ['cd', outside],
    ['cd -', /cd - is not allowed/],
    ['cd -- /proc && cat self/environ', outside],
    ['cd -P -- /proc', outside],
    ['cd src sub', /cd takes one directory/],
    ['echo "$(< /proc/self/environ)"', outside],
    ['read -r x < /proc/self/environ; echo "$x"', outside],
    ["printf '/proc/self/environ\\0' | sort --files0-from=-", /--files0-from/],
    ['xargs -a /proc/self/environ echo', outside],
    ['xargs --arg-file=/proc/self/environ echo', outside],
    ['xargs -a/proc/self/environ echo', outside],
    ['cat -- /proc/self/environ', outside],
    ['cat .*/proc/self/environ', outside],
    ['cd "$x" && cat environ', /not known before running/],
    ['cd /usr; cat ../proc/self/environ', outside],
    ['(cd /usr) ; cat ../proc/self/environ', outside],
    ['for d in /usr /proc; do cd $d; done; cat self/environ', outside],
    // Symlinks committed in the explored repo.
    ['cat env-link', outside],
    ['cat self-link/environ', outside],
    ['cat ./*link*', outside],
    ['cat src/etc-link/shadow', outside],
    ['cat src/etc-link/../proc/self/environ', outside],
    ['cat sub/slash/proc/self/environ', outside],
    ['cd self-link && cat environ', outside],
    ['cd sub/slash && ls', outside],
    ['for f in ./*; do cat "$f"; done', outside],
    ['grep -R KEY .', /follows symlinks/],
    ['rg -L KEY', /follows symlinks/],
    ['rg --follow KEY', /follows symlinks/],
    ['diff -r sub src', /follows symlinks/],
    // Wrappers and the whole filesystem.
    ['env -C /proc/self cat environ', /env option -C/],
    ['timeout 5 cat /proc/self/environ', outside],
    ['nice cat /proc/self/environ', outside],
    ['env LC_ALL=C cat /proc/self/environ', outside],
    ['find / -name environ', outside],
    ['grep -r KEY /', outside],
    ['ls /tmp', outside],
    ['cat /etc/shadow', outside],
    ['ls /etc', outside],
    ['cat /var/log/syslog', outside],
  ];
  for (const [command, expected] of cases) {
    test(command, () => {
      const why = reason(command);
      assert.notEqual(why, undefined, `${command} was allowed`);
      assert.match(why ?? '', expected);
    });
  }
});

describe('allowed: read-only use inside the roots and of system files', () => {
  const commands = [
    'cat src/a.ts',
    'cat ./src/../notes.md',
    'cd src && cat a.ts && cd .. && cat notes.md',
    'cd sub/deep; cat x.txt ../../notes.md',
    'cd -- src && cat a.ts',
    'for f in src/*.ts; do wc -l "$f"; done',
    'x=src; cat "$x/a.ts"',
    'cat src/*.ts *.md',
    'ls -la . src sub/deep',
    'grep -rn "/api/v1" src',
    'grep -e export src/a.ts',
    'rg -n "const" src',
    "sed -n '/a/,/b/p' src/a.ts",
    "awk '/x/ { print $1 }' notes.md",
    'find . -name "*.ts" | xargs wc -l',
    'cat /etc/passwd /etc/os-release',
    'ls /usr/bin | head -3',
    'head -c 10 /dev/zero | wc -c',
    'cat notes.md > /dev/null',
    'diff <(sort notes.md) <(sort src/a.ts)',
    'diff -r --no-dereference src sub',
    'echo /proc/self/environ ~root /r[o]ot',
    'basename /proc/self/environ',
    'test -f /proc/self/environ',
  ];
  for (const command of commands) {
    test(command, () => assert.equal(reason(command), undefined));
  }
});
