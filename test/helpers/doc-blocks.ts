import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLosslessNumber, type LosslessNumber, parse } from 'lossless-json';

// The runnable blocks of README.md and docs/*.md (a fence with the info string `sh runnable`,
// `js runnable` or `python runnable`), and the check of what they print against what they show: a comment
// line of a block that starts with `{` or `[` (`# {…}` in shell and Python, `// {…}` in Node), continued on
// the next comment lines until it is JSON, is one output the block must print, as one line of JSON, in order.
// Outputs are compared by shape: the same keys, the same JSON types, numbers with decimals where the shown
// number has them (`100.00`) and without where it has none, and times in the shown format. Values are compared
// too, since the blocks run in order on a fresh server and print the same every time: a shown number, boolean
// or string is what must be printed, except a string with `…` in it (ids, hashes, secrets, messages: any value)
// and a time (its format only).

export type Lang = 'sh' | 'js' | 'python';

export interface DocBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: Lang;
  code: string;
  /** The JSON outputs the block shows, as texts. */
  expected: string[];
}

const FENCE = /^```(sh|bash|js|python) runnable\s*$/;

/** README.md, then docs/*.md in name order: the order a reader follows (later files use the walk-through's variables). */
export function docFiles(root: string): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

export function runnableBlocks(root: string, file: string): DocBlock[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = FENCE.exec(lines[i]!);
    if (!m) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
    const lang = (m[1] === 'bash' ? 'sh' : m[1]) as Lang;
    blocks.push({
      file,
      line: start + 1,
      lang,
      code: `${body.join('\n')}\n`,
      expected: shownOutputs(body, lang),
    });
  }
  return blocks;
}

function shownOutputs(body: string[], lang: Lang): string[] {
  const comment = lang === 'js' ? /^\s*\/\/ ?(.*)$/ : /^\s*# ?(.*)$/;
  const out: string[] = [];
  for (let i = 0; i < body.length; i++) {
    const first = comment.exec(body[i]!)?.[1]?.trim();
    if (!first || !/^[{[]/.test(first)) continue;
    let text = first;
    while (!isJson(text)) {
      const next = comment.exec(body[++i] ?? '')?.[1];
      if (next === undefined) throw new Error(`a shown output is not JSON: ${first.slice(0, 80)}`);
      text += next.trim();
    }
    out.push(text);
  }
  return out;
}

function isJson(text: string): boolean {
  try {
    parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The lines of `stdout` that are JSON objects or arrays. */
export function printedOutputs(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[{[]/.test(l) && isJson(l));
}

const decimals = (n: LosslessNumber) => /\.(\d+)$/.exec(n.value)?.[1]?.length ?? 0;
const TIME_FORMATS = [/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/];

/** Where `actual` differs in shape or value from `expected` (empty: none), each as `path: what`. */
export function outputDifferences(expected: unknown, actual: unknown, path = '$'): string[] {
  const kind = (v: unknown) =>
    v === null ? 'null' : isLosslessNumber(v) ? 'number' : Array.isArray(v) ? 'array' : typeof v;
  const e = kind(expected);
  const a = kind(actual);
  // null is shown for fields that are often null (txHash, failureReason): any scalar may stand there.
  if (e === 'null') return a === 'object' || a === 'array' ? [`${path}: ${a} where null is shown`] : [];
  if (e !== a) return [`${path}: ${a} where ${e} is shown`];
  if (e === 'number') {
    const [de, da] = [decimals(expected as LosslessNumber), decimals(actual as LosslessNumber)];
    const [ve, va] = [(expected as LosslessNumber).value, (actual as LosslessNumber).value];
    const sameValue = Number(ve) === Number(va);
    if ((de >= 2 && da < 2) || (de === 0 && da > 0) || !sameValue)
      return [`${path}: ${va} where ${ve} is shown`];
    return [];
  }
  if (e === 'boolean') return expected === actual ? [] : [`${path}: ${actual} where ${expected} is shown`];
  if (e === 'string') return stringDifferences(expected as string, actual as string, path);
  if (e === 'array') {
    const [ex, ac] = [expected as unknown[], actual as unknown[]];
    if (ex.length === 0) return [];
    if (ac.length === 0) return [`${path}: an empty array where items are shown`];
    return ac.flatMap((item, i) => outputDifferences(ex[Math.min(i, ex.length - 1)], item, `${path}[${i}]`));
  }
  if (e === 'object') {
    const [ex, ac] = [expected as Record<string, unknown>, actual as Record<string, unknown>];
    const missing = Object.keys(ex).filter((k) => !(k in ac));
    const extra = Object.keys(ac).filter((k) => !(k in ex));
    return [
      ...missing.map((k) => `${path}.${k}: missing`),
      ...extra.map((k) => `${path}.${k}: printed but not shown`),
      ...Object.keys(ex)
        .filter((k) => k in ac)
        .flatMap((k) => outputDifferences(ex[k], ac[k], `${path}.${k}`)),
    ];
  }
  return [];
}

/** A shown string with `…` stands for any string, a shown time for any time in its format; others are exact. */
function stringDifferences(shown: string, printed: string, path: string): string[] {
  if (shown.includes('…')) return [];
  const format = TIME_FORMATS.find((f) => f.test(shown));
  if (format)
    return format.test(printed) ? [] : [`${path}: "${printed}" where a time like "${shown}" is shown`];
  return shown === printed ? [] : [`${path}: "${printed}" where "${shown}" is shown`];
}

/** Compares every shown output with the printed one at its place; the count must match too. */
export function compareOutputs(block: DocBlock, stdout: string): string[] {
  const printed = printedOutputs(stdout);
  if (printed.length !== block.expected.length)
    return [`shows ${block.expected.length} JSON outputs, printed ${printed.length}:\n${stdout}`];
  return block.expected.flatMap((shown, i) =>
    outputDifferences(parse(shown), parse(printed[i]!)).map((d) => `output ${i + 1}: ${d}`),
  );
}
