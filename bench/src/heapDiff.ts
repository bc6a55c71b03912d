/**
 * Compares two V8 heap snapshots (e.g. the gateway idle before a load and idle after it, both taken
 * after a full GC: `BENCH_HEAP_SNAPSHOT=<dir>` with `npm run bench:memory`). Prints, per node type
 * and constructor name, the self size and count in each and the growth, largest first.
 * Usage: node --import tsx bench/src/heapDiff.ts <before.heapsnapshot> <after.heapsnapshot> [rows]
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size and count per `type:name` (names of strings/code folded, they are the content). */
function aggregate(file: string): Map<string, { size: number; count: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const out = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]];
    const folded = ['string', 'concatenated string', 'sliced string', 'number', 'code', 'hidden', 'array'];
    const name = folded.includes(type) ? '' : snap.strings[snap.nodes[i + iName]].slice(0, 80);
    const key = `${type}:${name}`;
    const e = out.get(key) ?? { size: 0, count: 0 };
    e.size += snap.nodes[i + iSize];
    e.count += 1;
    out.set(key, e);
  }
  return out;
}

const [before, after, rows = '40'] = process.argv.slice(2);
const a = aggregate(before);
const b = aggregate(after);
const keys = new Set([...a.keys(), ...b.keys()]);
const diff = [...keys].map((k) => {
  const x = a.get(k) ?? { size: 0, count: 0 };
  const y = b.get(k) ?? { size: 0, count: 0 };
  return { k, before: x.size, after: y.size, grow: y.size - x.size, nBefore: x.count, nAfter: y.count };
});
const sum = (m: Map<string, { size: number }>) => [...m.values()].reduce((s, e) => s + e.size, 0);
const mb = (n: number) => (n / 1e6).toFixed(2);
process.stdout.write(`total ${mb(sum(a))} MB -> ${mb(sum(b))} MB\n`);
for (const d of diff.sort((x, y) => y.grow - x.grow).slice(0, Number(rows)))
  process.stdout.write(
    `${mb(d.grow).padStart(8)} MB  ${mb(d.before).padStart(7)} -> ${mb(d.after).padStart(7)}  n ${d.nBefore} -> ${d.nAfter}  ${d.k}\n`,
  );
