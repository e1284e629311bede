// A question must not give its answer away: one that names a truth file's path or basename
// is rejected. The check and its outcome are recorded in the task's meta.
export interface LeakCheck {
  /** Truth paths checked, against the question. */
  checked: string[];
  /** What the question named (paths or basenames); empty when it passed. */
  named: string[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function checkLeak(question: string, truthFiles: readonly string[]): LeakCheck {
  const named: string[] = [];
  const lower = question.toLowerCase();
  for (const file of truthFiles) {
    if (lower.includes(file.toLowerCase())) {
      named.push(file);
      continue;
    }
    const base = file.slice(file.lastIndexOf('/') + 1);
    // A whole word: "std.py" leaks, "test_std.py" or "mystd.pyc" does not name it.
    const pattern = new RegExp(`(^|[^\\w.-])${escapeRegExp(base)}($|[^\\w-]|\\.(?!\\w))`, 'i');
    if (pattern.test(question)) {
      named.push(base);
      continue;
    }
    // The same path as a dotted module ("tqdm.contrib.discord" for tqdm/contrib/discord.py).
    const module = file.replace(/\.[^./]+$/, '').replace(/\/(__init__|index)$/, '').split('/').join('.');
    if (module.includes('.') && new RegExp(`(^|[^\\w.])${escapeRegExp(module)}($|[^\\w])`, 'i').test(question)) named.push(module);
  }
  return { checked: [...truthFiles], named };
}
