/**
 * Summarises a sampling heap profile (`.heapprofile`, e.g. the gateway's BENCH_ALLOC_PROFILE): bytes
 * allocated per source file of the allocating function (self), and per first AI Hub frame on the
 * stack (so a library's allocations are billed to the AI Hub code that called it), largest first.
 * Usage: node --import tsx bench/src/allocProfile.ts <file.heapprofile> [rows]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const [file, rows = '25'] = process.argv.slice(2);
const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: ProfileNode };
const bySelf = new Map<string, number>();
const byOwn = new Map<string, number>();
let total = 0;
const ours = (url: string) => /\/(core|plugins\/[^/]+)\/(dist|src)\//.test(url) && !url.includes('node_modules');
const short = (url: string) => url.replace(/^.*\/(node_modules\/(?:@[^/]+\/)?[^/]+|core|plugins\/[^/]+)\//, '$1/');

function walk(node: ProfileNode, own: string | undefined): void {
  const { url, functionName, lineNumber } = node.callFrame;
  const frame = `${short(url) || '(native)'} ${functionName || '(anonymous)'}:${lineNumber + 1}`;
  const owner = ours(url) ? frame : own;
  if (node.selfSize) {
    total += node.selfSize;
    const f = short(url) || `(native) ${functionName}`;
    bySelf.set(f, (bySelf.get(f) ?? 0) + node.selfSize);
    const o = owner ?? '(no AI Hub frame)';
    byOwn.set(o, (byOwn.get(o) ?? 0) + node.selfSize);
  }
  for (const c of node.children) walk(c, owner);
}
walk(head, undefined);

const print = (title: string, m: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(rows)))
    process.stdout.write(
      `${((100 * v) / total).toFixed(1).padStart(5)} %  ${(v / 1e6).toFixed(1).padStart(7)} MB  ${k}\n`,
    );
};
process.stdout.write(`sampled allocation ${(total / 1e6).toFixed(1)} MB\n`);
print('by allocating file', bySelf);
print('by innermost AI Hub frame', byOwn);
